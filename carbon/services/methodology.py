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

from carbon.errors import Conflict, InvalidInput, UnknownActivityType
from carbon.models import ActivityType, MethodologyVersion
from db import UnitOfWork

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
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


def _check_version(spec: VersionSpec, now: datetime) -> datetime:
    if spec.factor_num < 0:
        raise _invalid("factor_num", "factor_num must be 0 or more.")
    if spec.factor_den < 1:
        raise _invalid("factor_den", "factor_den must be 1 or more.")
    if (spec.cap_g is None) != (spec.cap_period is None):
        raise _invalid("cap_period", "cap_g and cap_period go together: give both or neither.")
    if spec.cap_g is not None and spec.cap_g < 0:
        raise _invalid("cap_g", "cap_g must be 0 or more.")
    if spec.cap_period is not None and spec.cap_period not in CAP_PERIODS:
        raise _invalid("cap_period", "cap_period is 'day' or 'month'.")
    start = spec.effective_from or now
    if start < now:
        raise _invalid("effective_from", "effective_from is in the past; events already "
                       "received keep the value of the version in force when they occurred.")
    return start


def _check_type(spec: TypeSpec) -> None:
    if not KEY_PATTERN.match(spec.key):
        raise _invalid("key", "key is 1 to 32 characters: a lowercase letter, then lowercase "
                       "letters, digits or '_'.")
    if not 1 <= len(spec.unit) <= 128:
        raise _invalid("unit", "unit is 1 to 128 characters.")
    if spec.aggregate not in AGGREGATES:
        raise _invalid("aggregate", "aggregate is 'sum' (every event adds) or 'max' "
                       "(the day's highest quantity counts).")
    if spec.max_quantity < 1:
        raise _invalid("max_quantity", "max_quantity must be 1 or more.")
    if spec.dedupe_attribute is not None and not 1 <= len(spec.dedupe_attribute) <= 32:
        raise _invalid("dedupe_attribute", "dedupe_attribute is 1 to 32 characters.")


def _version(key: str, spec: VersionSpec, start: datetime, now: datetime) -> MethodologyVersion:
    return MethodologyVersion(activity_type=key, effective_from=start, effective_to=None,
                              factor_num=spec.factor_num, factor_den=spec.factor_den,
                              cap_g=spec.cap_g, cap_period=spec.cap_period,
                              note=spec.note[:255], created_at=now)


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


def list_types(uow: UnitOfWork, limit: int, after: str | None) -> list[TypeView]:
    """Up to `limit` types ordered by key, starting after the key `after`."""
    with uow:
        s = uow.session
        stmt = select(ActivityType).order_by(ActivityType.key).limit(limit)
        if after:
            stmt = stmt.where(ActivityType.key > after)
        return [_view(s, t) for t in s.scalars(stmt)]


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
        s.add(_version(key, spec, start, now))
        s.flush()
        view = _view(s, t)
        uow.commit()
    return view


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
