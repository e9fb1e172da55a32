"""Races settled by PostgreSQL: donations crossing a target, feedings of one trough, quiz tries."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from carbon.errors import CanopyError
from carbon.services.partners import create_partner
from carbon.services.users import ensure_user
from db import UnitOfWork
from game.farm.errors import ChickenBusy
from game.farm.models import CharityProject, DonationRecord, EggDonation, Farm, Feeding
from game.farm.services import scene
from game.farm.services.charity import donate
from game.farm.services.chicken import chase, farm_state, feed, visit
from game.farm.services.quiz import answer_quiz
from game.farm.services.quiz_bank import create_question
from game.forest.services.friends import request_friend
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.factories.farm import feed_accounts


@pytest.fixture
def factory(engine, committed_uow, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrency needs PostgreSQL (SQLite runs one writer at a time)")
    return sessionmaker(bind=engine, expire_on_commit=False)


def farmers(factory, count: int, eggs: int = 0, store_g: int = 0) -> list[int]:
    with UnitOfWork(factory) as uow:
        ids = [ensure_user(uow.session, f"racer-{i}", "Asia/Shanghai", NOW).id
               for i in range(count)]
        uow.session.add_all(Farm(user_id=i, feed_store_g=store_g, feed_earned_g=store_g,
                                 eaten_g=900 * eggs, trough_at=NOW, created_at=NOW)
                            for i in ids)
        uow.commit()
    return ids


def race(factory, calls) -> list[object]:
    """Run the calls at the same instant, each with its own unit of work; results or refusals."""
    return at_once([partial(call, UnitOfWork(factory)) for call in calls],
                   expected=(CanopyError,))


def test_many_donations_at_once_cross_each_multiple_of_the_target_exactly_once(factory):
    charity = create_partner(UnitOfWork(factory), "race-charity", ["donations"], NOW)
    with UnitOfWork(factory) as uow:
        project = CharityProject(name="P", partner_id=charity.id, sponsor_name="S",
                                 fen_per_egg=10, egg_target=5, status="open", created_at=NOW)
        uow.session.add(project)
        uow.commit()
    donors = farmers(factory, 16, eggs=3)
    gifts = [1 + i % 3 for i in range(len(donors))]  # 31 eggs: 6 records, 1 egg over
    results = race(factory, [
        (lambda uow, u=u, n=n: donate(uow, u, project.id, n, NOW)) for u, n in zip(donors, gifts, strict=True)])
    assert not [r for r in results if isinstance(r, Exception)]
    with UnitOfWork(factory) as uow:
        s = uow.session
        sequences = sorted(s.scalars(select(DonationRecord.sequence)))
        donated = s.scalar(select(CharityProject.eggs_donated))
        given = s.scalar(select(func.sum(EggDonation.eggs)))
    assert donated == given == sum(gifts) == 31
    assert sequences == [1, 2, 3, 4, 5, 6]
    assert sorted(k for r in results for k in r.records_created) == sequences


def test_two_feedings_of_one_trough_at_once_one_wins(factory):
    (hen,) = farmers(factory, 1, store_g=360)
    results = race(factory, [lambda uow: feed(uow, hen, NOW)] * 2)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and "still has 180 g" in refused[0].detail
    view = farm_state(UnitOfWork(factory), hen, NOW)
    assert (view.feed_store_g, view.trough_g) == (180, 180)
    with UnitOfWork(factory) as uow:
        assert uow.session.scalar(select(func.count(Feeding.id))) == 1


def test_two_quiz_answers_at_once_earn_feed_once(factory):
    create_question(UnitOfWork(factory), "Greener?", ["Bike", "Car"], "Bike", True, NOW)
    (user,) = farmers(factory, 1)
    results = race(factory, [
        lambda uow: answer_quiz(uow, user, "Asia/Shanghai", "Bike", NOW)] * 3)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 2
    assert all("already answered" in r.detail for r in refused)
    assert farm_state(UnitOfWork(factory), user, NOW).feed_store_g == 180


def test_visits_chases_and_feedings_racing_never_deadlock_and_conserve_feed(factory):
    users = farmers(factory, 4, store_g=720)
    for i, a in enumerate(users):
        for b in users[i + 1:]:
            request_friend(UnitOfWork(factory), a, f"racer-{users.index(b)}", NOW)
            request_friend(UnitOfWork(factory), b, f"racer-{users.index(a)}", NOW)
    a, b, c, d = users
    for owner in (b, d):
        feed(UnitOfWork(factory), owner, NOW)
    t = NOW + timedelta(seconds=600)
    results = race(factory, [
        lambda uow: visit(uow, a, "racer-1", t), lambda uow: visit(uow, c, "racer-1", t),
        lambda uow: chase(uow, b, t), lambda uow: feed(uow, a, t),
        lambda uow: visit(uow, c, "racer-3", t), lambda uow: chase(uow, d, t),
        lambda uow: feed(uow, c, t), lambda uow: visit(uow, a, "racer-3", t)])
    assert all(isinstance(r, (CanopyError, tuple)) or hasattr(r, "state") for r in results)
    later = t + timedelta(hours=3)
    views = {u: farm_state(UnitOfWork(factory), u, later) for u in users}
    earned, accounted = feed_accounts(UnitOfWork(factory), views)
    assert earned == accounted == 4 * 720


def test_a_chicken_that_moved_before_its_farm_was_held_releases_its_locks_before_retrying(
        factory, monkeypatch):
    """Visit a -> d reads a's chicken at home, then a's visit to b commits before the farms
    are held: the scene holds {a, d} and finds the chicken at b. Meanwhile b -> d holds b and
    waits for d. Locking b while still holding d would close a cycle (a deadlock); the scene
    rolls back to its savepoint (releasing a and d) and takes {a, b, d} in order instead."""
    a, b, c, d = farmers(factory, 4, store_g=720)
    for x, y in ((a, b), (a, d), (b, d)):
        for user, friend in ((x, y), (y, x)):
            request_friend(UnitOfWork(factory), user, f"racer-{friend - a}", NOW)
    for owner in (b, d):
        feed(UnitOfWork(factory), owner, NOW)
    t = NOW + timedelta(seconds=600)
    read = scene.repo.trough_of_current_meal
    calls = {"n": 0}
    other: list[threading.Thread] = []
    outcomes: dict[str, object] = {}

    def b_to_d() -> None:
        try:
            outcomes["b"] = visit(UnitOfWork(factory), b, f"racer-{d - a}", t)
        except Exception as exc:  # a refusal is fine; a deadlock is what this test is about
            outcomes["b"] = exc

    def instrumented(session, user_id):
        if (threading.current_thread() is threading.main_thread() and user_id == a
                and not calls.get("inside")):
            calls["n"] += 1
            if calls["n"] == 1:  # before the farms are held: a's chicken goes to b
                calls["inside"] = 1
                visit(UnitOfWork(factory), a, f"racer-{b - a}", t)
                calls["inside"] = 0
                return None
            if calls["n"] == 2:  # holding a and d: b -> d takes b and waits for d
                other.append(threading.Thread(target=b_to_d))
                other[0].start()
                time.sleep(1)
        return read(session, user_id)

    monkeypatch.setattr(scene.repo, "trough_of_current_meal", instrumented)
    with pytest.raises(ChickenBusy):  # a's chicken is at b's trough now
        visit(UnitOfWork(factory), a, f"racer-{d - a}", t)
    other[0].join(timeout=60)
    assert not isinstance(outcomes["b"], DBAPIError), outcomes["b"]
    assert isinstance(outcomes["b"], ChickenBusy)  # b's chicken is eating at home
    assert c  # a bystander: four farmers as in the race above
