"""Real concurrency on PostgreSQL: threads, each with its own connection, at one instant."""

from __future__ import annotations

import time
from functools import partial

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from carbon.errors import CanopyError
from carbon.models import Ball
from carbon.services import ledger
from carbon.services.balls import collect_ball
from carbon.services.partners import create_partner
from carbon.services.reconcile import reconcile
from carbon.services.users import ensure_users
from db import UnitOfWork
from game.forest.errors import BudgetExhausted
from game.forest.models import Project, Steal
from game.forest.services import friends, plantings, steal
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.factories.forest import give_energy, ripe_ball

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (real concurrent transactions)")


def all_at_once(engine, jobs):
    """Run each job(uow) in its own thread, released together; [(result or refusal)]."""
    return at_once([partial(job, UnitOfWork(sessionmaker(bind=engine, expire_on_commit=False)))
                    for job in jobs], expected=(CanopyError,))


def arrange(committed_uow, names):
    with committed_uow:
        users = ensure_users(committed_uow.session, names, "Asia/Shanghai", NOW)
        committed_uow.commit()
    return [users[n] for n in names]


def test_twenty_thieves_and_the_owner_at_once_move_exactly_the_ball(engine, committed_uow):
    owner, *thieves = arrange(committed_uow, ["owner"] + [f"thief-{i}" for i in range(20)])
    for t in thieves:
        friends.request_friend(committed_uow, t.id, owner.external_id, NOW)
        friends.request_friend(committed_uow, owner.id, t.external_id, NOW)
    stolen_in_all_rounds = 0
    # The owner starts 0, 5 and 20 ms after the thieves: every interleaving must conserve.
    for round_no, owner_delay in enumerate((0, 0.005, 0.02)):
        stolen_in_all_rounds += one_round(engine, committed_uow, owner, thieves, round_no,
                                          owner_delay)
    assert stolen_in_all_rounds > 0
    assert reconcile(committed_uow) == []


def one_round(engine, committed_uow, owner, thieves, round_no, owner_delay) -> int:
    with committed_uow:
        ball = ripe_ball(committed_uow.session, owner.id, 1000, activity_type=f"t{round_no}")
        committed_uow.commit()
    jobs = [lambda u, t=t: steal.steal(u, t.id, owner.external_id, ball, NOW)["stolen_g"]
            for t in thieves]
    jobs.append(lambda u: time.sleep(owner_delay) or collect_ball(u, owner.id, ball, NOW)[0])
    results = all_at_once(engine, jobs)
    stolen = [r for r in results[:-1] if isinstance(r, int)]
    refused = [r for r in results[:-1] if isinstance(r, CanopyError)]
    assert len(stolen) + len(refused) == 20
    assert sum(stolen) <= 500 and all(g in (200, 100) for g in stolen)
    collected = results[-1]
    assert isinstance(collected, int) and collected + sum(stolen) == 1000
    with committed_uow:
        s = committed_uow.session
        row = s.get(Ball, ball)
        assert (row.status, row.stolen_g, row.collected_g, row.remaining_g) == (
            "collected", sum(stolen), collected, 0)
        assert s.scalar(select(func.coalesce(func.sum(Steal.amount_g), 0))
                        .where(Steal.ball_id == ball)) == sum(stolen)
    return sum(stolen)


def test_two_users_planting_the_last_tree_at_once_one_wins(engine, committed_uow):
    a, b = arrange(committed_uow, ["planter-a", "planter-b"])
    partner = create_partner(committed_uow, "race-ngo", ["plantings"], NOW)
    with committed_uow:
        s = committed_uow.session
        s.add(Project(code="last", name="Last tree", kind="tree", region="Alxa",
                      energy_cost_g=500, budget=1, partner_id=partner.id, status="open",
                      created_at=NOW))
        for u in (a, b):
            give_energy(s, u.id, 500)
        committed_uow.commit()
        project_id = s.scalar(select(Project.id).where(Project.code == "last"))
    results = all_at_once(engine, [
        lambda u, who=who: plantings.plant(u, who.id, project_id, 1, NOW) for who in (a, b)])
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1 and isinstance(losses[0], BudgetExhausted)
    with committed_uow:
        s = committed_uow.session
        assert s.scalar(select(Project.budget).where(Project.id == project_id)) == 0
        balances = sorted(ledger.available_balance(s, u.id) for u in (a, b))
        assert balances == [0, 500]
    assert reconcile(committed_uow) == []
