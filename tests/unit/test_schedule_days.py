"""Which local dates are due for settlement: pure date logic, no database."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbon.domain.account import day_has_ended
from carbon.domain.settlement_days import days_due, last_ended_day

SECOND = timedelta(seconds=1)
GRACE = timedelta(minutes=30)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("tz", "day_end_utc"), [
    ("Asia/Shanghai", utc(2026, 3, 9, 16, 0)),  # UTC+8
    ("Pacific/Pitcairn", utc(2026, 3, 10, 8, 0)),  # UTC-8, no DST
    ("Pacific/Kiritimati", utc(2026, 3, 9, 10, 0)),  # UTC+14, the first zone to end a day
])
def test_a_day_is_due_exactly_grace_after_its_local_midnight(tz, day_end_utc):
    due_at = day_end_utc + GRACE
    assert last_ended_day(tz, due_at, GRACE) == date(2026, 3, 9)
    assert last_ended_day(tz, due_at - SECOND, GRACE) == date(2026, 3, 8)


def test_utc_plus_14_ends_a_date_22_hours_before_utc_minus_8():
    kiritimati_due = utc(2026, 3, 9, 10, 0) + GRACE
    pitcairn_due = utc(2026, 3, 10, 8, 0) + GRACE
    assert pitcairn_due - kiritimati_due == timedelta(hours=22)
    for now in (kiritimati_due, pitcairn_due - SECOND):
        assert last_ended_day("Pacific/Kiritimati", now, GRACE) == date(2026, 3, 9)
        assert last_ended_day("Pacific/Pitcairn", now, GRACE) == date(2026, 3, 8)
    assert last_ended_day("Pacific/Pitcairn", pitcairn_due, GRACE) == date(2026, 3, 9)


def test_the_short_dst_day_in_new_york_ends_at_midnight_edt():
    # 2026-03-08 has 23 hours in New York: it starts at 05:00 UTC (EST) and ends at 04:00 UTC (EDT).
    assert last_ended_day("America/New_York", utc(2026, 3, 9, 4, 0) - SECOND) == date(2026, 3, 7)
    assert last_ended_day("America/New_York", utc(2026, 3, 9, 4, 0)) == date(2026, 3, 8)
    assert last_ended_day("America/New_York", utc(2026, 3, 8, 5, 0) - SECOND) == date(2026, 3, 6)
    assert last_ended_day("America/New_York", utc(2026, 3, 8, 5, 0)) == date(2026, 3, 7)


def test_the_long_dst_day_in_new_york_ends_at_midnight_est():
    # 2026-11-01 has 25 hours: it ends at 05:00 UTC on the 2nd, not at 04:00.
    assert last_ended_day("America/New_York", utc(2026, 11, 2, 4, 59, 59)) == date(2026, 10, 31)
    assert last_ended_day("America/New_York", utc(2026, 11, 2, 5, 0)) == date(2026, 11, 1)


def test_the_grace_period_is_respected_to_the_second():
    midnight = utc(2026, 3, 9, 16, 0)  # 2026-03-10 00:00 in Shanghai
    done = date(2026, 3, 8)
    assert days_due("Asia/Shanghai", midnight + GRACE - SECOND, GRACE, done) == []
    assert days_due("Asia/Shanghai", midnight + GRACE, GRACE, done) == [date(2026, 3, 9)]


def test_after_three_missed_nights_every_night_is_due_oldest_first():
    now = utc(2026, 3, 12, 17, 0)  # 01:00 on the 13th in Shanghai
    assert days_due("Asia/Shanghai", now, GRACE, date(2026, 3, 9)) == [
        date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)]


def test_a_zone_never_settled_starts_with_its_most_recent_ended_day_only():
    now = utc(2026, 3, 12, 17, 0)
    assert days_due("Asia/Shanghai", now, GRACE, None) == [date(2026, 3, 12)]


def test_a_zone_settled_up_to_date_has_nothing_due():
    now = utc(2026, 3, 12, 17, 0)
    assert days_due("Asia/Shanghai", now, GRACE, date(2026, 3, 12)) == []


def test_an_unfinished_run_is_resumed_even_when_a_later_night_completed():
    now = utc(2026, 3, 12, 17, 0)
    due = days_due("Asia/Shanghai", now, GRACE, date(2026, 3, 12), unfinished=[date(2026, 3, 5)])
    assert due == [date(2026, 3, 5)]


def test_an_unfinished_run_of_a_fresh_zone_comes_before_the_last_ended_day():
    now = utc(2026, 3, 12, 17, 0)
    due = days_due("Asia/Shanghai", now, GRACE, None, unfinished=[date(2026, 3, 11)])
    assert due == [date(2026, 3, 11), date(2026, 3, 12)]


def test_an_unfinished_run_whose_day_is_not_due_yet_waits():
    now = utc(2026, 3, 12, 16, 10)  # the 12th ended 10 minutes ago in Shanghai: within grace
    due = days_due("Asia/Shanghai", now, GRACE, date(2026, 3, 11), unfinished=[date(2026, 3, 12)])
    assert due == []


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="IANA"):
        last_ended_day("Mars/Olympus_Mons", utc(2026, 3, 12), GRACE)


ZONES = ["Asia/Shanghai", "America/New_York", "Pacific/Kiritimati", "Pacific/Pitcairn",
         "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kathmandu"]


@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30),
                    timezones=st.just(UTC)),
       st.sampled_from(ZONES), st.integers(min_value=0, max_value=6 * 3600))
def test_the_last_ended_day_has_ended_and_the_next_has_not(now, tz, grace_s):
    grace = timedelta(seconds=grace_s)
    day = last_ended_day(tz, now, grace)
    assert day_has_ended(day, tz, now, grace)
    assert not day_has_ended(day + timedelta(days=1), tz, now, grace)
