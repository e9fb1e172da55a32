"""What a user reads about their own account: the summary and the carbon statement."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from carbon.domain import account as domain
from carbon.errors import InvalidInput, UserNotFound
from carbon.models import User
from carbon.repository import settled
from carbon.services import co2e_totals, ledger
from db import UnitOfWork

STATEMENT_DEFAULT_DAYS = 30
STATEMENT_MAX_DAYS = 366


@dataclass(frozen=True)
class AccountSummary:
    user_id: str  # the external id
    timezone: str
    energy_g: int  # available, from the running balance (no history scan)
    co2e_total_g: int
    shield_until: datetime | None


def account_summary(uow: UnitOfWork, user_id: int) -> AccountSummary:
    with uow:
        s = uow.session
        user = s.get(User, user_id)
        if user is None:
            raise UserNotFound(f"No user {user_id} is known.")
        return AccountSummary(user.external_id, user.timezone,
                              ledger.available_balance(s, user_id),
                              co2e_totals.all_time_g(s, user_id),
                              user.shield_until)


@dataclass
class StatementDay:
    date: date
    co2e_g: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class CarbonStatement:
    from_date: date
    to_date: date
    days: list[StatementDay]
    months: list[tuple[str, int]]  # ("2026-03", co2e_g), in order
    by_type: dict[str, int]
    total_co2e_g: int  # in the range
    all_time_co2e_g: int


def statement_range(from_date: date | None, to_date: date | None, now: datetime,
                    tz: str) -> tuple[date, date]:
    """The dates asked for, defaulting to the last 30 local days; at most 366 days."""
    to_date = to_date or domain.local_date_of(now, tz)
    from_date = from_date or to_date - timedelta(days=STATEMENT_DEFAULT_DAYS - 1)
    if from_date > to_date:
        raise InvalidInput("'from' must not be after 'to'.", {"from": ["after 'to'"]})
    if (to_date - from_date).days + 1 > STATEMENT_MAX_DAYS:
        raise InvalidInput(f"A statement covers at most {STATEMENT_MAX_DAYS} days.",
                           {"to": [f"more than {STATEMENT_MAX_DAYS} days after 'from'"]})
    return from_date, to_date


def carbon_statement(uow: UnitOfWork, user_id: int, from_date: date,
                     to_date: date) -> CarbonStatement:
    """CO2e saved per day and type, per month and in total, from what settlement wrote (its
    balls, and carbon_days once they are rolled up), never from events, which may be retired.
    One probe per date asked (at most 366): the same cost after years of history."""
    with uow:
        s = uow.session
        marks = settled.watermarks(s)
        rows = settled.settled_days(s, user_id, from_date, to_date, marks.days_through)
        all_time = co2e_totals.all_time_g(s, user_id)
    return _statement(from_date, to_date, rows, all_time)


@dataclass(frozen=True)
class StatementDocument:
    """A statement whose days, months and types are JSON text (for a response body)."""

    from_date: date
    to_date: date
    days_json: str
    months_json: str
    by_type_json: str
    total_co2e_g: int
    all_time_co2e_g: int


def statement_document(uow: UnitOfWork, user_id: int, from_date: date,
                       to_date: date) -> StatementDocument:
    """carbon_statement as JSON text: on PostgreSQL the statement that reads the days also
    encodes them (settled.statement_json), so a year's 1,100 rows never reach Python;
    elsewhere they are encoded here."""
    with uow.reading():
        s = uow.session
        marks = settled.watermarks(s)
        found = settled.statement_json(s, user_id, from_date, to_date, marks)
        if found is None:
            st = _statement(from_date, to_date, settled.settled_days(
                s, user_id, from_date, to_date, marks.days_through), 0)
            found = settled.StatementJson(
                json.dumps([{"date": d.date.isoformat(), "co2e_g": d.co2e_g,
                             "by_type": d.by_type} for d in st.days]),
                json.dumps([{"month": m, "co2e_g": g} for m, g in st.months]),
                json.dumps(st.by_type), st.total_co2e_g)
        all_time = (found.all_time_g if found.all_time_g is not None
                    else co2e_totals.all_time_g(s, user_id))
    return StatementDocument(from_date, to_date, found.days, found.months, found.by_type,
                             found.total_g, all_time)


def _statement(from_date: date, to_date: date, rows: Sequence[tuple[date, str, int]],
               all_time: int) -> CarbonStatement:
    """rows: (date, type, grams) ordered by date then type. One StatementDay per date and one
    month key per day, not per row: a year is about 1,100 rows."""
    days: list[StatementDay] = []
    months: dict[str, int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    current: StatementDay | None = None
    for day, activity_type, total in rows:
        grams = int(total)
        if current is None or current.date != day:
            current = StatementDay(day)
            days.append(current)
        current.co2e_g += grams
        current.by_type[activity_type] = grams
        by_type[activity_type] += grams
    for entry in days:
        months[f"{entry.date.year:04}-{entry.date.month:02}"] += entry.co2e_g
    return CarbonStatement(from_date, to_date, days, sorted(months.items()),
                           dict(sorted(by_type.items())), sum(months.values()), all_time)
