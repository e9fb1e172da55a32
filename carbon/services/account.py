"""What a user reads about their own account: the summary and the carbon statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Row, select

from carbon.domain import account as domain
from carbon.errors import InvalidInput, UserNotFound
from carbon.history_models import CarbonDay
from carbon.models import User
from carbon.services import ledger
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
                              ledger.available_balance(s, user_id), user.co2e_total_g,
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
    """CO2e saved per day and type, per month and in total, from the compact history that
    settlement writes (carbon_days), not from events or balls, which may have been retired."""
    # One probe of the (date, user, type) key per date asked (at most 366): the same cost
    # after years of history as on the first day, where a date range would scan every user.
    dates = [from_date + timedelta(days=i) for i in range((to_date - from_date).days + 1)]
    with uow:
        s = uow.session
        rows = s.execute(
            select(CarbonDay.local_date, CarbonDay.activity_type, CarbonDay.co2e_g)
            .where(CarbonDay.local_date.in_(dates), CarbonDay.user_id == user_id)
            .order_by(CarbonDay.local_date, CarbonDay.activity_type)).all()
        all_time = s.scalar(select(User.co2e_total_g).where(User.id == user_id)) or 0
    return _statement(from_date, to_date, rows, all_time)


def _statement(from_date: date, to_date: date, rows: Sequence[Row[date, str, int]],
               all_time: int) -> CarbonStatement:
    days: dict[date, StatementDay] = {}
    months: dict[str, int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    for day, activity_type, total in rows:
        grams = int(total)
        entry = days.setdefault(day, StatementDay(day))
        entry.co2e_g += grams
        entry.by_type[activity_type] = grams
        months[day.strftime("%Y-%m")] += grams
        by_type[activity_type] += grams
    return CarbonStatement(from_date, to_date, list(days.values()), sorted(months.items()),
                           dict(sorted(by_type.items())), sum(months.values()), all_time)
