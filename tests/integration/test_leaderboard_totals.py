"""The leaderboard reads earned totals kept beside the ledger; they must say exactly what the
ledger says, for every viewer's local day and week, whatever the friends' zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from carbon.earned_models import EarnedQuarter
from carbon.services import earnings, lookups, retention
from carbon.services.balls import collect_ball
from game.forest.domain import period_bounds
from game.forest.services import friends, steal, water
from tests.factories import UserFactory
from tests.factories.forest import FriendshipFactory, give_energy, ripe_ball

ZONES = ["Asia/Shanghai", "America/New_York", "Asia/Kathmandu", "UTC"]
# Each one a second either side of someone's local midnight (Shanghai 16:00, New York 04:00,
# Kathmandu 18:15, UTC 00:00) on Monday 9 or Tuesday 10 March 2026, and a week earlier.
INSTANTS = [datetime(2026, 3, d, h, m, s, tzinfo=UTC) for d, h, m, s in [
    (2, 3, 0, 0), (8, 15, 59, 59), (8, 16, 0, 0), (9, 0, 0, 0), (9, 3, 59, 59), (9, 4, 0, 0),
    (9, 18, 14, 59), (9, 18, 15, 0), (9, 23, 59, 59), (10, 4, 0, 0), (10, 15, 59, 59),
    (10, 16, 0, 0)]]
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture
def people(session):
    users = [UserFactory(timezone=z) for z in ZONES] + [UserFactory()]  # the last one idle
    for i, a in enumerate(users):
        for b in users[i + 1:]:
            FriendshipFactory(a=a, b=b)
    return users


def play(session, uow, users) -> None:
    """At each instant one user collects, another steals from a third's ball, and a fourth
    waters the first, who collects the watering too."""
    active = users[:4]
    for n, at in enumerate(INSTANTS):
        owner, thief, victim, gardener = (active[(n + k) % 4] for k in range(4))
        collect_ball(uow, owner.id, ripe_ball(session, owner.id, 100 + n, ripe_at=at,
                                                activity_type=f"own-{n}"), at)
        loot = ripe_ball(session, victim.id, 50 + n, ripe_at=at - timedelta(hours=1),
                         activity_type=f"loot-{n}")
        steal.steal(uow, thief.id, victim.external_id, loot, at)
        give_energy(session, gardener.id, 10, at)
        got = water.water(uow, gardener.id, gardener.timezone, owner.external_id, 10, at)
        collect_ball(uow, owner.id, got["ball_id"], at)


def _assert_boards_equal_the_ledger(session, uow, people, at) -> None:
    """Every active viewer's day and week board at `at` says what the ledger says."""
    ids = [u.id for u in people]
    names = {u.id: u.external_id for u in people}
    for viewer in people[:4]:
        for period in ("day", "week"):
            start, end = period_bounds(period, at, viewer.timezone)
            want = lookups.energy_from_balls(session, ids, start, end)
            board = friends.leaderboard(uow, viewer.id, viewer.timezone, period, at)
            got = {i["user_id"]: i["energy_g"] for i in board["items"]}
            assert got == {names[u]: want.get(u, 0) for u in ids}, (viewer.timezone, at)


def test_the_board_equals_the_ledger_for_every_viewer_day_week_and_total(session, uow, people):
    play(session, uow, people)
    ids = [u.id for u in people]
    names = {u.id: u.external_id for u in people}
    for at in INSTANTS + [i + timedelta(seconds=1) for i in INSTANTS]:
        _assert_boards_equal_the_ledger(session, uow, people, at)
    ever = lookups.energy_from_balls(session, ids, *EVER)
    board = friends.leaderboard(uow, people[0].id, "Asia/Shanghai", "total", INSTANTS[0])
    assert {i["user_id"]: i["energy_g"] for i in board["items"]} == {
        names[u]: ever.get(u, 0) for u in ids}
    assert sum(ever.values()) > 0 and (board["from"], board["to"]) == (None, None)


def test_a_collect_a_second_before_my_midnight_counts_today_not_tomorrow(session, uow, people):
    me, friend = people[0], people[1]  # Shanghai viewer, New York friend
    last_second = datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    collect_ball(uow, friend.id, ripe_ball(session, friend.id, 70, ripe_at=last_second),
                 last_second)
    today = friends.leaderboard(uow, me.id, me.timezone, "day", last_second)
    tomorrow = friends.leaderboard(uow, me.id, me.timezone, "day",
                                   last_second + timedelta(seconds=1))
    assert [i["energy_g"] for i in today["items"]][0] == 70
    assert all(i["energy_g"] == 0 for i in tomorrow["items"])


def test_the_total_board_ranks_everything_ever_earned(session, uow, people):
    me, friend = people[0], people[1]
    for days_ago, grams in ((400, 30), (0, 20)):
        at = INSTANTS[-1] - timedelta(days=days_ago)
        collect_ball(uow, friend.id, ripe_ball(session, friend.id, grams, ripe_at=at,
                                                 activity_type=f"t{days_ago}"), at)
    board = friends.leaderboard(uow, me.id, me.timezone, "total", INSTANTS[-1])
    assert board["items"][0] == {"rank": 1, "user_id": friend.external_id, "energy_g": 50,
                                 "me": False}


def test_a_window_off_the_quarter_hour_is_read_from_the_ledger(session, uow, people):
    owner = people[0]
    at = datetime(2026, 3, 10, 4, 7, tzinfo=UTC)
    collect_ball(uow, owner.id, ripe_ball(session, owner.id, 40, ripe_at=at), at)
    odd = (at - timedelta(minutes=1), at + timedelta(minutes=1))
    assert earnings.energy_earned(session, [owner.id], *odd, at) == {owner.id: 40}
    assert earnings.energy_earned(session, [owner.id], at + timedelta(minutes=1),
                                  at + timedelta(minutes=9), at) == {}


def _quarters(session) -> list[int]:
    return list(session.scalars(select(EarnedQuarter.quarter).order_by(EarnedQuarter.quarter)))


def test_the_purge_keeps_every_quarter_a_day_or_week_board_still_reads(session, uow, people):
    """Earnings every 7 hours over 12 days; then, at three instants of the last week in turn,
    the nightly purge as it runs at that instant and every viewer's day and week board there:
    each still equals the ledger, though older quarters are gone."""
    now = datetime(2026, 3, 15, 15, 30, tzinfo=UTC)  # Sunday 23:30 in Shanghai: a full week
    for n in range(12 * 24 // 7):
        at = now - timedelta(hours=7 * n, minutes=1)
        collect_ball(uow, people[n % 4].id, ripe_ball(session, people[n % 4].id, 10 + n,
                                                      ripe_at=at, activity_type=f"p{n}"), at)
    kept_from = earnings.quarter_of(now - earnings.QUARTERS_KEPT)
    assert _quarters(session)[0] < kept_from  # to purge
    purged = 0
    for at in (now - timedelta(days=6, hours=23), now - timedelta(days=1), now):
        purged += earnings.purge_quarters(session, at)
        _assert_boards_equal_the_ledger(session, uow, people, at)
    assert purged > 0 and _quarters(session)[0] >= kept_from


def test_a_window_older_than_the_kept_quarters_is_read_from_the_ledger(session, uow, people):
    owner = people[0]
    at = datetime(2026, 3, 1, 4, 7, tzinfo=UTC)
    collect_ball(uow, owner.id, ripe_ball(session, owner.id, 40, ripe_at=at), at)
    later = at + timedelta(days=20)
    earnings.purge_quarters(session, later)
    assert _quarters(session) == []
    window = (at - timedelta(minutes=7), at + timedelta(minutes=8))  # quarter-aligned
    members = {"ids": [owner.id]}
    assert earnings.board(session, earnings._LISTED, members, *window, later) == [
        (owner.id, owner.external_id, 40)]


def test_the_maintenance_job_purges_the_quarters(session, uow, people):
    at = datetime(2026, 3, 1, 4, 7, tzinfo=UTC)
    collect_ball(uow, people[0].id, ripe_ball(session, people[0].id, 40, ripe_at=at), at)
    keep = {"RETAIN_EVENTS_DAYS": 400, "RETAIN_LEDGER_MONTHS": 13, "FEED_RETENTION_DAYS": 400,
            "RETAIN_BALLS_DAYS": 400}
    report = retention.maintain(lambda: uow, at + timedelta(days=9), keep)
    assert report.figures()["earned_quarters_purged"] == 1 and _quarters(session) == []
    assert "earned_days_purged" not in report.figures()  # the table is gone (migration 0030)
