"""The dates settlement's monthly cap reads: the other dates of the day's month, no more."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carbon.settlement_sql import month_days


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
