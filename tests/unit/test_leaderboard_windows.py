"""The earned totals are kept per UTC day and quarter hour: every viewer's local day and week
must start and end on a quarter hour for the board to read them (else it reads the ledger)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import available_timezones

from game.forest.domain import period_bounds

# A year from NOW's week, every 29 days plus a few hours, so both DST changes fall inside.
INSTANTS = [datetime(2026, 3, 10, 4, tzinfo=UTC) + timedelta(days=29 * k, hours=5 * k)
            for k in range(13)]


def test_every_zone_today_starts_its_days_and_weeks_on_a_quarter_hour():
    off = [(tz, at, period) for tz in sorted(available_timezones()) for at in INSTANTS
           for period in ("day", "week")
           if any(edge.timestamp() % 900 for edge in period_bounds(period, at, tz))]
    assert off == []
