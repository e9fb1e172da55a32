"""The dates settlement's monthly cap reads: the other dates of the day's month, no more."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carbon.ball_ids import day_base
from carbon.settlement_sql import allowance_days, month_days


@pytest.mark.parametrize("day", [date(2027, 2, 28), date(2028, 2, 29), date(2026, 3, 31),
                                 date(2026, 4, 1), date(2026, 12, 15)])
def test_month_days_are_every_other_date_of_the_month_and_null_beyond_it(day):
    params = month_days(day)
    first = day.replace(day=1)
    month = [first + timedelta(days=i) for i in range(31)
             if (first + timedelta(days=i)).month == day.month]
    assert sorted(params) == [f"m{i:02}" for i in range(1, 32)]
    assert sorted(d for d in params.values() if d) == [d for d in month if d != day]
    assert sum(d is None for d in params.values()) == 31 - len(month) + 1


def test_the_allowance_reads_carbon_days_up_to_the_watermark_and_started_balls_after_it():
    day, through = date(2026, 3, 20), date(2026, 3, 5)
    started = {date(2026, 3, 3), date(2026, 3, 6), date(2026, 3, 19), day, date(2026, 2, 28)}
    carbon, ball_days, params = allowance_days(day, through, started)
    days = {k: v for k, v in params.items() if k.startswith("m") and v is not None}
    assert carbon and sorted(days.values()) == [date(2026, 3, i) for i in range(1, 6)]
    bases = [params[f"b{i:02}"] for i in range(1, ball_days + 1)]
    assert bases == [day_base(date(2026, 3, 6)), day_base(date(2026, 3, 19))]


def test_before_any_roll_up_the_allowance_reads_only_balls():
    carbon, ball_days, params = allowance_days(date(2026, 3, 9), None, {date(2026, 3, 8)})
    assert (carbon, ball_days) == (False, 1) and params["b01"] == day_base(date(2026, 3, 8))
    assert all(params[f"m{i:02}"] is None for i in range(1, 32))
