"""Date and time fields of request bodies and queries, bounded to Canopy's calendar.

Every date or instant a client sends goes through one of these two fields, so no route can let
`9999-12-31` reach date arithmetic (a day later, a zone's midnight) and overflow into a 500.
"""

from __future__ import annotations

from datetime import date, datetime

from marshmallow import ValidationError, fields

from api.core.context import now
from carbon.domain.account import EARLIEST_DATE, date_in_calendar, latest_date


def _check_calendar(day: date) -> None:
    today = now().date()
    if not date_in_calendar(day, today):
        raise ValidationError(f"must be between {EARLIEST_DATE.isoformat()} and "
                              f"{latest_date(today).isoformat()}")


class BoundedDate(fields.Date):
    """An ISO 8601 date from 2000-01-01 to the end of the 5th year from now."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        _check_calendar(day)
        return day


class BoundedDateTime(fields.AwareDateTime):
    """An ISO 8601 instant with an offset whose date is in BoundedDate's range."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        # Checked on its own date, before anything converts it (converting 9999-12-31T23:00-05:00
        # to UTC overflows); the bounds are days away from the ends of the calendar.
        _check_calendar(instant.date())
        return instant
