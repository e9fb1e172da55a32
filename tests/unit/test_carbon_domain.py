"""Pure rules of the carbon account: local days, ripening, expiry, valuation, caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbon.domain import account as domain
from carbon.errors import InvalidInput
from carbon.services.account import statement_range


def test_a_shanghai_day_ends_at_16_utc_and_a_winter_los_angeles_day_at_08_utc():
    day = date(2026, 1, 15)
    assert domain.local_midnight_after(day, "Asia/Shanghai") == datetime(2026, 1, 15, 16, 0,
                                                                         tzinfo=UTC)
    assert domain.local_midnight_after(day, "America/Los_Angeles") == datetime(2026, 1, 16, 8, 0,
                                                                               tzinfo=UTC)


def test_a_day_has_ended_from_its_local_midnight_on_not_a_microsecond_before():
    end = datetime(2026, 1, 15, 16, 0, tzinfo=UTC)
    day = date(2026, 1, 15)
    assert not domain.day_has_ended(day, "Asia/Shanghai", end - timedelta(microseconds=1))
    assert domain.day_has_ended(day, "Asia/Shanghai", end)
    assert not domain.day_has_ended(day, "Asia/Shanghai", end, grace=timedelta(minutes=30))


def test_a_ball_ripens_at_seven_local_the_next_morning():
    assert domain.ripe_at(date(2026, 1, 15), "Asia/Shanghai") == datetime(2026, 1, 15, 23, 0,
                                                                          tzinfo=UTC)


def test_a_ball_expires_72_real_hours_after_ripening_even_across_a_dst_change():
    # Los Angeles springs forward on 2026-03-08: wall-clock arithmetic would give 71 hours.
    day = date(2026, 3, 6)
    ripe = domain.ripe_at(day, "America/Los_Angeles")
    expires = domain.expires_at(day, "America/Los_Angeles")
    assert expires - ripe == timedelta(hours=72)
    assert expires.timestamp() - ripe.timestamp() == 72 * 3600


def test_the_local_date_of_an_instant_depends_on_the_zone():
    instant = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    assert domain.local_date_of(instant, "Asia/Shanghai") == date(2026, 3, 10)
    assert domain.local_date_of(instant, "America/Los_Angeles") == date(2026, 3, 9)


def test_unknown_zones_are_not_zones():
    assert not domain.is_valid_zone("Mars/Olympus")
    assert not domain.is_valid_zone("")
    with pytest.raises(ValueError):
        domain.zone("x" * 65)


def test_walking_values_are_floored_not_rounded():
    walk = domain.Factor(296, 18_000)
    assert [walk.value(s) for s in (60, 61, 17_999, 18_000)] == [0, 1, 295, 296]


@given(raw=st.integers(0, 10_000), cap=st.integers(0, 5_000), already=st.integers(0, 6_000))
def test_capped_energy_never_exceeds_the_cap_nor_the_raw_value(raw, cap, already):
    got = domain.capped(raw, cap, already)
    assert 0 <= got <= raw
    assert already + got <= max(cap, already)


def test_ball_status_is_derived_from_ripe_at():
    ripe = datetime(2026, 3, 10, tzinfo=UTC)
    assert domain.ball_status("open", ripe, ripe - timedelta(microseconds=1)) == "growing"
    assert domain.ball_status("open", ripe, ripe) == "ripe"
    assert domain.ball_status("collected", ripe, ripe) == "collected"


def test_a_statement_defaults_to_the_last_30_local_days():
    now = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # already March 10 in Shanghai
    assert statement_range(None, None, now, "Asia/Shanghai") == (date(2026, 2, 9),
                                                                 date(2026, 3, 10))


def test_a_statement_covers_at_most_366_days_and_never_runs_backwards():
    now = datetime(2026, 3, 9, tzinfo=UTC)
    start = date(2025, 1, 1)
    assert statement_range(start, start + timedelta(days=365), now, "UTC")[1] == date(2026, 1, 1)
    with pytest.raises(InvalidInput):
        statement_range(start, start + timedelta(days=366), now, "UTC")
    with pytest.raises(InvalidInput):
        statement_range(date(2026, 3, 2), date(2026, 3, 1), now, "UTC")
