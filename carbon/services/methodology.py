"""Methodology administration: activity types and their dated versions (operators, admin scope).

A version is never edited: a new factor starts at a future instant and closes the version before
it, so every stored event keeps the value of the version in force at its occurred_at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbon.domain.account import date_in_calendar, latest_date
from carbon.errors import Conflict, InvalidInput, UnknownActivityType
from carbon.models import ActivityType, MethodologyVersion
from carbon.repository import capped, settled
from db import UnitOfWork
from db.paging import Key, Page, cut

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Bounds that keep quantity * factor_num inside a BIGINT when settlement multiplies them.
MAX_QUANTITY = 10**9
MAX_FACTOR = 10**9
MAX_CAP_G = 10**12
AGGREGATES = ("sum", "max")
CAP_PERIODS = ("day", "month")


@dataclass(frozen=True)
class VersionSpec:
    effective_from: datetime | None  # None: now
    factor_num: int
    factor_den: int
    cap_g: int | None = None
    cap_period: str | None = None
    note: str = ""


@dataclass(frozen=True)
class TypeSpec:
    key: str
    unit: str
    aggregate: str
    max_quantity: int
    dedupe_attribute: str | None
    version: VersionSpec


@dataclass(frozen=True)
class VersionView:
    id: int
    effective_from: datetime
    effective_to: datetime | None
    factor_num: int
    factor_den: int
    cap_g: int | None
    cap_period: str | None
    note: str
    created_at: datetime


@dataclass(frozen=True)
class TypeView:
    key: str
    unit: str
    aggregate: str
    max_quantity: int
    dedupe_attribute: str | None
    active: bool
    created_at: datetime
    versions: list[VersionView]


def _invalid(fieldname: str, message: str) -> InvalidInput:
    return InvalidInput(message, {fieldname: [message]})


def _check_text(fieldname: str, value: str, longest: int, shortest: int = 1) -> None:
    if not shortest <= len(value) <= longest or not value.isprintable():
        raise _invalid(fieldname, f"{fieldname} is {shortest} to {longest} printable characters.")


def _check_version(spec: VersionSpec, now: datetime) -> datetime:
    if not 0 <= spec.factor_num <= MAX_FACTOR:
        raise _invalid("factor_num", f"factor_num must be 0 to {MAX_FACTOR:,}.")
    if not 1 <= spec.factor_den <= MAX_FACTOR:
        raise _invalid("factor_den", f"factor_den must be 1 to {MAX_FACTOR:,}.")
    if (spec.cap_g is None) != (spec.cap_period is None):
        raise _invalid("cap_period", "cap_g and cap_period go together: give both or neither.")
    if spec.cap_g is not None and not 0 <= spec.cap_g <= MAX_CAP_G:
        raise _invalid("cap_g", f"cap_g must be 0 to {MAX_CAP_G:,}.")
    _check_text("note", spec.note, 255, shortest=0)
    if spec.cap_period is not None and spec.cap_period not in CAP_PERIODS:
        raise _invalid("cap_period", "cap_period is 'day' or 'month'.")
    start = spec.effective_from or now
    if start < now:
        raise _invalid("effective_from", "effective_from is in the past; events already "
                       "received keep the value of the version in force when they occurred.")
    if not date_in_calendar(start.date(), now.date()):
        # A version dated 9999 would be accepted and then block every later one.
        raise _invalid("effective_from", "effective_from must be on or before "
                       f"{latest_date(now.date()).isoformat()}.")
    return start


def _check_type(spec: TypeSpec) -> None:
    if not KEY_PATTERN.match(spec.key):
        raise _invalid("key", "key is 1 to 32 characters: a lowercase letter, then lowercase "
                       "letters, digits or '_'.")
    _check_text("unit", spec.unit, 128)
    if spec.aggregate not in AGGREGATES:
        raise _invalid("aggregate", "aggregate is 'sum' (every event adds) or 'max' "
                       "(the day's highest quantity counts).")
    if not 1 <= spec.max_quantity <= MAX_QUANTITY:
        raise _invalid("max_quantity", f"max_quantity must be 1 to {MAX_QUANTITY:,}.")
    if spec.dedupe_attribute is not None:
        _check_text("dedupe_attribute", spec.dedupe_attribute, 32)


def _version(key: str, spec: VersionSpec, start: datetime, now: datetime) -> MethodologyVersion:
    return MethodologyVersion(activity_type=key, effective_from=start, effective_to=None,
                              factor_num=spec.factor_num, factor_den=spec.factor_den,
                              cap_g=spec.cap_g, cap_period=spec.cap_period,
                              note=spec.note, created_at=now)


def _view(s: Session, t: ActivityType) -> TypeView:
    versions = s.scalars(select(MethodologyVersion).where(MethodologyVersion.activity_type == t.key)
                         .order_by(MethodologyVersion.effective_from))
    return TypeView(t.key, t.unit, t.aggregate, t.max_quantity, t.dedupe_attribute, t.active,
                    t.created_at, [VersionView(v.id, v.effective_from, v.effective_to, v.factor_num,
                                               v.factor_den, v.cap_g, v.cap_period, v.note,
                                               v.created_at) for v in versions])


def _get(s: Session, key: str, for_update: bool = False) -> ActivityType:
    stmt = select(ActivityType).where(ActivityType.key == key)
    found = s.scalars(stmt.with_for_update() if for_update else stmt).one_or_none()
    if found is None:
        raise UnknownActivityType(f"No activity type '{key}' exists.")
    return found


def list_types(uow: UnitOfWork, after: Key | None, limit: int) -> Page[TypeView]:
    """Types ordered by key, starting after the (key,) `after`."""
    with uow:
        s = uow.session
        stmt = select(ActivityType).order_by(ActivityType.key).limit(limit + 1)
        if after:
            stmt = stmt.where(ActivityType.key > after[0])
        rows, next_key = cut(list(s.scalars(stmt)), limit, lambda t: (t.key,))
        return Page([_view(s, t) for t in rows], next_key)


def get_type(uow: UnitOfWork, key: str) -> TypeView:
    with uow:
        return _view(uow.session, _get(uow.session, key))


def create_type(uow: UnitOfWork, spec: TypeSpec, now: datetime) -> TypeView:
    """A new activity type with its first methodology version."""
    _check_type(spec)
    start = _check_version(spec.version, now)
    with uow:
        s = uow.session
        s.add(ActivityType(key=spec.key, unit=spec.unit, aggregate=spec.aggregate,
                           max_quantity=spec.max_quantity, dedupe_attribute=spec.dedupe_attribute,
                           active=True, created_at=now))
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"An activity type '{spec.key}' already exists.") from exc
        s.add(_version(spec.key, spec.version, start, now))
        s.flush()
        view = _view(s, _get(s, spec.key))
        uow.commit()
    return view


def add_version(uow: UnitOfWork, key: str, spec: VersionSpec, now: datetime) -> TypeView:
    """A new version from spec.effective_from on; the latest version ends where it starts."""
    start = _check_version(spec, now)
    with uow:
        s = uow.session
        t = _get(s, key, for_update=True)  # one version change of a type at a time
        latest = s.scalars(select(MethodologyVersion)
                           .where(MethodologyVersion.activity_type == key)
                           .order_by(MethodologyVersion.effective_from.desc()).limit(1)).first()
        if latest is not None and start <= latest.effective_from:
            raise _invalid("effective_from", "effective_from must be after the latest version's "
                           f"({latest.effective_from.isoformat()}).")
        if latest is not None:
            latest.effective_to = start
        first_monthly_cap = spec.cap_period == "month" and not s.scalar(
            select(MethodologyVersion.id).where(MethodologyVersion.activity_type == key,
                                                MethodologyVersion.cap_period == "month")
            .limit(1))
        s.add(_version(key, spec, start, now))
        s.flush()
        if first_monthly_cap:
            _start_monthly_totals(s, key, start, now)
        view = _view(s, t)
        uow.commit()
    return view


def _start_monthly_totals(s: Session, key: str, start: datetime, now: datetime) -> None:
    """The type's first monthly cap: settlement keeps its running monthly totals from now on,
    and the months the version can reach get theirs counted from what is settled already.
    The roll-up row's exclusive lock waits for the batches in flight (they hold it shared) and
    holds the next ones until this commits, so that none is counted twice or missed."""
    marks = settled.watermarks(s, lock="update")
    first, last = capped.months_a_version_reaches(start, now)
    capped.rebuild(s, first, last, marks.days_through, key)


def set_active(uow: UnitOfWork, key: str, active: bool) -> TypeView:
    """Deactivate (events of the type are refused from now on) or reactivate a type."""
    with uow:
        s = uow.session
        t = _get(s, key, for_update=True)
        t.active = active
        s.flush()
        view = _view(s, t)
        uow.commit()
    return view
