"""POST /v1/admin/settlements: operators ask for a local date to be settled in the background;
GET /v1/admin/settlements/{id} follows it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select, update

from carbon.models import Ball, SettlementBatch, User
from jobs.settlement_requests import settle_requested
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _settle_in_the_background(uow):
    """What the jobs process does at its next poll."""
    return settle_requested(lambda: uow, lambda: NOW)


def test_an_admin_settlement_is_accepted_then_settled_by_the_jobs(signed, make_partner, uow,
                                                                  session, at_now):
    seed_methodology(uow)
    ActivityEventFactory(user=UserFactory(), occurred_at=datetime(2026, 3, 9, 4, tzinfo=UTC))
    UserFactory(timezone="America/Los_Angeles")  # March 9 is not over there at NOW
    admin = make_partner(["admin"])
    resp = signed(admin, "POST", "/v1/admin/settlements", {"date": "2026-03-09"})
    assert resp.status_code == 202
    body = resp.get_json()
    assert resp.headers["Location"] == f"/v1/admin/settlements/{body['id']}"
    assert (body["date"], body["status"], body["balls"]) == ("2026-03-09", "requested", 0)
    assert [(z["timezone"], z["status"]) for z in body["zones"]] == [
        ("Asia/Shanghai", "waiting"), ("America/Los_Angeles", "not_over")]
    assert _settle_in_the_background(uow) == [body["id"]]
    done = signed(admin, "GET", resp.headers["Location"]).get_json()
    assert (done["status"], done["error"], done["balls"], done["energy_g"]) == (
        "completed", None, 1, 5)
    assert (done["batches_planned"], done["batches_done"]) == (1, 1)
    assert done["zones"][0] == {
        "timezone": "Asia/Shanghai", "status": "completed", "batches_planned": 1,
        "batches_done": 1, "balls": 1, "energy_g": 5, "started_at": NOW.isoformat(),
        "finished_at": NOW.isoformat()}
    assert done["started_at"] == done["finished_at"] == NOW.isoformat()


def test_asking_again_while_it_is_open_answers_the_same_settlement(signed, make_partner, uow,
                                                                   at_now):
    admin = make_partner(["admin"])
    ask = {"date": "2026-03-09", "timezones": ["Asia/Shanghai", "Europe/Paris"]}
    first = signed(admin, "POST", "/v1/admin/settlements", ask).get_json()["id"]
    reordered = {"date": "2026-03-09", "timezones": ["Europe/Paris", "Asia/Shanghai"]}
    again = signed(admin, "POST", "/v1/admin/settlements", reordered, ts=time.time() + 1)
    assert (again.status_code, again.get_json()["id"]) == (202, first)
    other = signed(admin, "POST", "/v1/admin/settlements", {"date": "2026-03-09"},
                   ts=time.time() + 2).get_json()["id"]
    assert other != first  # another question: every zone that has users
    assert _settle_in_the_background(uow) == [first, other]
    after = signed(admin, "POST", "/v1/admin/settlements", ask, ts=time.time() + 3).get_json()
    assert after["id"] not in (first, other) and after["status"] == "requested"


def test_asking_for_a_settled_day_again_creates_nothing_twice(signed, make_partner, uow,
                                                              session, at_now):
    seed_methodology(uow)
    ActivityEventFactory(user=UserFactory(), occurred_at=datetime(2026, 3, 9, 4, tzinfo=UTC))
    admin = make_partner(["admin"])
    for i in range(2):
        location = signed(admin, "POST", "/v1/admin/settlements", {"date": "2026-03-09"},
                          ts=time.time() + i).headers["Location"]
        _settle_in_the_background(uow)
    assert session.scalar(select(func.count()).select_from(Ball)) == 1
    second = signed(admin, "GET", location).get_json()
    assert (second["status"], second["balls"], second["batches_done"]) == ("completed", 1, 1)


@pytest.mark.parametrize("request_id", ["999", str(2**63), str(10**30)])
def test_an_unknown_settlement_is_a_404_problem(signed, make_partner, at_now, request_id):
    resp = signed(make_partner(["admin"]), "GET", f"/v1/admin/settlements/{request_id}")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_reading_a_settlement_needs_the_admin_scope(signed, make_partner, at_now):
    admin = make_partner(["admin"])
    location = signed(admin, "POST", "/v1/admin/settlements",
                      {"date": "2026-03-09"}).headers["Location"]
    assert signed(make_partner(["events:write"]), "GET", location).status_code == 403


def test_settling_needs_the_admin_scope(signed, make_partner, at_now):
    resp = signed(make_partner(["events:write"]), "POST", "/v1/admin/settlements",
                  {"date": "2026-03-09"})
    assert resp.status_code == 403


@pytest.mark.parametrize("body", [{}, {"date": "2026-02-30"}, {"date": "2026-03-09",
                                                                "timezones": ["Mars/Olympus"]}])
def test_a_bad_request_is_a_422_problem(signed, make_partner, at_now, body):
    resp = signed(make_partner(["admin"]), "POST", "/v1/admin/settlements", body)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"


def test_operators_settle_expire_and_reconcile_from_the_cli(app, uow, session):
    seed_methodology(uow)
    ActivityEventFactory(user=UserFactory(), occurred_at=datetime(2026, 3, 9, 4, tzinfo=UTC))
    cli = app.test_cli_runner()
    # The CLI reads the wall clock: put it after the ball's expiry.
    with time_machine.travel(datetime(2026, 4, 1, tzinfo=UTC), tick=False):
        settled = cli.invoke(args=["settle", "--date", "2026-03-09", "--zone", "Asia/Shanghai"])
        assert settled.exit_code == 0, settled.output
        assert "Asia/Shanghai: settled batches=1 balls=1 energy_g=5" in settled.output
        assert cli.invoke(args=["expire"]).output.strip() == "expired balls=1 energy_g=5"
    ok = cli.invoke(args=["reconcile"])
    assert (ok.exit_code, ok.output.strip()) == (0, "OK")
    session.execute(update(User).values(co2e_total_g=0))  # not a ledger figure: still OK
    session.execute(update(SettlementBatch).values(energy_g=6))
    broken = cli.invoke(args=["reconcile"])
    assert broken.exit_code == 1 and "the batch records 6 g" in broken.output


def test_the_settle_command_refuses_an_unknown_zone(app):
    result = app.test_cli_runner().invoke(args=["settle", "--date", "2026-03-09",
                                                "--zone", "Mars/Olympus"])
    assert result.exit_code != 0 and "not an IANA time zone" in result.output


def test_an_admin_settlement_also_grants_the_days_feed_once(signed, make_partner, uow, session,
                                                            at_now):
    from sqlalchemy import select

    from game.farm.models import FeedGrant

    seed_methodology(uow)
    payer = UserFactory()
    for _ in range(2):
        ActivityEventFactory(user=payer, occurred_at=datetime(2026, 3, 9, 4, tzinfo=UTC))
    admin = make_partner(["admin"])
    for i in range(2):  # a rerun (signed afresh: a signature acts once) grants nothing twice
        assert signed(admin, "POST", "/v1/admin/settlements",
                      {"date": "2026-03-09"}, ts=time.time() + i).status_code == 202
        _settle_in_the_background(uow)
    grants = session.execute(select(FeedGrant.user_id, FeedGrant.feed_g)).all()
    assert grants == [(payer.id, 360)]
