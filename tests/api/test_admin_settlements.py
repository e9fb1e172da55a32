"""POST /v1/admin/settlements: operators settle a local date on demand."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import update

from carbon.models import SettlementBatch, User
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_an_admin_settles_the_zones_whose_day_is_over(signed, make_partner, uow, session,
                                                      at_now):
    seed_methodology(uow)
    ActivityEventFactory(user=UserFactory(), occurred_at=datetime(2026, 3, 9, 4, tzinfo=UTC))
    UserFactory(timezone="America/Los_Angeles")  # March 9 is not over there at NOW
    admin = make_partner(["admin"])
    resp = signed(admin, "POST", "/v1/admin/settlements", {"date": "2026-03-09"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["date"], body["settled"], body["skipped"]) == (
        "2026-03-09", ["Asia/Shanghai"], ["America/Los_Angeles"])
    assert (body["balls"], body["energy_g"]) == (1, 5)
    again = signed(admin, "POST", "/v1/admin/settlements",
                   {"date": "2026-03-09", "timezones": ["Asia/Shanghai"]}).get_json()
    assert again["zones"] == [{"timezone": "Asia/Shanghai", "status": "already_settled",
                               "batches": 0, "balls": 0, "energy_g": 0}]


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
                      {"date": "2026-03-09"}, ts=time.time() + i).status_code == 200
    grants = session.execute(select(FeedGrant.user_id, FeedGrant.feed_g)).all()
    assert grants == [(payer.id, 360)]
