"""Real concurrency on PostgreSQL: owners collect while friends steal from the same balls and
from each other; afterwards the board says exactly what the ledger says."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy.orm import sessionmaker

from carbon.errors import CanopyError
from carbon.services import lookups
from carbon.services.balls import collect_ball
from carbon.services.users import ensure_users
from db import UnitOfWork
from game.forest.domain import period_bounds
from game.forest.services import friends, steal
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.factories.forest import ripe_ball

pytestmark = pytest.mark.postgres_only
EVER = (NOW - timedelta(days=3650), NOW + timedelta(days=3650))


@pytest.fixture(autouse=True)
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (real concurrent transactions)")


def fresh_uow(engine) -> UnitOfWork:
    return UnitOfWork(sessionmaker(bind=engine, expire_on_commit=False))


def arrange(committed_uow, n):
    """n users, all friends of each other, each with two ripe balls."""
    names = [f"racer-{i}" for i in range(n)]
    with committed_uow:
        users = ensure_users(committed_uow.session, names, "Asia/Shanghai", NOW)
        committed_uow.commit()
    users = [users[name] for name in names]
    for i, a in enumerate(users):
        for b in users[i + 1:]:
            friends.request_friend(committed_uow, a.id, b.external_id, NOW)
            friends.request_friend(committed_uow, b.id, a.external_id, NOW)
    balls = {}
    with committed_uow:
        for u in users:
            balls[u.id] = [ripe_ball(committed_uow.session, u.id, 1000 + u.id,
                                     activity_type=f"race-{k}") for k in range(2)]
        committed_uow.commit()
    return users, balls


def test_racing_collects_and_steals_leave_the_board_equal_to_the_ledger(engine, committed_uow):
    users, balls = arrange(committed_uow, 6)
    jobs = []
    for u in users:
        jobs += [partial(collect_ball, user_id=u.id, ball_id=b, now=NOW) for b in balls[u.id]]
        for victim in users:
            if victim is not u:
                jobs += [partial(steal.steal, me_id=u.id, friend_external=victim.external_id,
                                 ball_id=b, now=NOW) for b in balls[victim.id]]
    results = at_once([lambda job=job: job(fresh_uow(engine)) for job in jobs],
                      expected=(CanopyError,))
    assert any(not isinstance(r, CanopyError) for r in results)
    ids = [u.id for u in users]
    with committed_uow:
        s = committed_uow.session
        ledger_says = {p: lookups.energy_from_balls(s, ids, *period_bounds(p, NOW, "Asia/Shanghai"))
                       for p in ("day", "week")}
        ledger_says["total"] = lookups.energy_from_balls(s, ids, *EVER)
    assert sum(ledger_says["total"].values()) == sum(1000 + u.id for u in users) * 2
    for period, want in ledger_says.items():
        board = friends.leaderboard(committed_uow, users[0].id, "Asia/Shanghai", period, NOW)
        got = {i["user_id"]: i["energy_g"] for i in board["items"]}
        assert got == {u.external_id: want.get(u.id, 0) for u in users}, period
