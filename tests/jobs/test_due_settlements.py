"""due_settlements: the zones users live in, their missed nights and crashed runs, in order."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from carbon.services.schedule import due_settlements
from tests.jobs.conftest import GRACE, add_run, add_user

NOW = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)  # Kiritimati's 10th ended half an hour ago


def test_every_zone_users_live_in_is_listed_in_the_order_its_days_ended(session, uow):
    for tz in ("Pacific/Pitcairn", "Asia/Shanghai", "Pacific/Kiritimati", "Asia/Shanghai"):
        add_user(session, tz)
    add_run(session, date(2026, 3, 7), "Pacific/Pitcairn")
    assert due_settlements(uow, NOW, GRACE) == [
        (date(2026, 3, 8), "Pacific/Pitcairn"),
        (date(2026, 3, 9), "Asia/Shanghai"),
        (date(2026, 3, 9), "Pacific/Pitcairn"),
        (date(2026, 3, 10), "Pacific/Kiritimati"),
    ]


def test_a_zone_without_users_is_not_settled(session, uow):
    add_run(session, date(2026, 3, 1), "Europe/Paris", completed=False)
    assert due_settlements(uow, NOW, GRACE) == []


def test_an_unknown_zone_is_logged_and_left_out(session, uow, caplog):
    add_user(session, "Asia/Shanghai")
    add_user(session, "Mars/Olympus_Mons")
    with caplog.at_level(logging.ERROR, logger="carbon.services.schedule"):
        due = due_settlements(uow, NOW, GRACE)
    assert due == [(date(2026, 3, 9), "Asia/Shanghai")]
    assert "'Mars/Olympus_Mons', which is not an IANA zone" in caplog.text


def test_a_crashed_run_and_the_missed_nights_after_it_are_all_due(session, uow):
    add_user(session, "Asia/Shanghai")
    add_run(session, date(2026, 3, 5), "Asia/Shanghai")
    add_run(session, date(2026, 3, 6), "Asia/Shanghai", completed=False)
    due = due_settlements(uow, NOW + timedelta(days=1), GRACE)
    assert due == [(date(2026, 3, d), "Asia/Shanghai") for d in range(6, 11)]
