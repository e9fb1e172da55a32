"""Users are created on first sight (a JWT `sub` or a partner event's user_id)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from carbon.domain.account import USER_ID_RULE, is_valid_user_id, is_valid_zone
from carbon.errors import InvalidInput, UserNotFound
from carbon.models import User
from carbon.repository import accounts as repository
from carbon.services import public_counts
from db import UnitOfWork


@dataclass(frozen=True)
class UserRef:
    id: int
    external_id: str
    timezone: str


# What must happen, in the same transaction, when users are first seen: {external id: ref}.
# Filled by the packages that need it (the forest delivers the friend requests kept for them),
# since carbon never imports them.
ARRIVAL_HOOKS: list[Callable[[Session, dict[str, UserRef], datetime], None]] = []


def on_arrival(hook: Callable[[Session, dict[str, UserRef], datetime], None]) -> None:
    if hook not in ARRIVAL_HOOKS:
        ARRIVAL_HOOKS.append(hook)


def check_external_id(external_id: object) -> str | None:
    """The reason `external_id` is not a usable user id, or None when it is (the alphabet keeps
    every id usable as one path segment, unescaped: /v1/friends/{user_id}/balls)."""
    if is_valid_user_id(external_id):
        return None
    return f"user_id must be {USER_ID_RULE}"


def ensure_user(session: Session, external_id: str, timezone: str, now: datetime) -> UserRef:
    """The user with this id, created with `timezone` if new (a user's zone is fixed at creation,
    so that the local days of stored events and of settlement always agree)."""
    reason = check_external_id(external_id)
    if reason:
        raise InvalidInput(reason, {"user_id": [reason]})
    if not is_valid_zone(timezone):
        raise InvalidInput(f"'{timezone}' is not an IANA time zone", {"tz": ["unknown zone"]})
    return ensure_users(session, [external_id], timezone, now)[external_id]


def ensure_users(session: Session, external_ids: list[str], timezone: str,
                 now: datetime) -> dict[str, UserRef]:
    """Bulk version for event ingestion: one SELECT, and for the users not found their claim
    (INSERT ... ON CONFLICT: a concurrent creator wins quietly), their rows and one SELECT."""
    unique = sorted(set(external_ids))
    if not unique:
        return {}
    found = {ext: UserRef(uid, ext, tz)
             for uid, ext, tz in repository.users_by_external_ids(session, unique)}
    missing = [e for e in unique if e not in found]
    if missing:
        created = repository.create_users(session, missing, timezone, now)
        public_counts.add(session, users=len(created))
        arrived = {ext: UserRef(uid, ext, tz)
                   for uid, ext, tz in repository.users_by_external_ids(session, missing)}
        for hook in ARRIVAL_HOOKS:
            hook(session, arrived, now)
        found.update(arrived)
    return found


def get_user(session: Session, external_id: str) -> User:
    """The user with this id; an id no user could have (too long, control characters) is
    simply not found, and is not echoed back."""
    if check_external_id(external_id):
        raise UserNotFound("No user with that id is known.")
    user = repository.user_by_external_id(session, external_id)
    if user is None:
        raise UserNotFound(f"No user '{external_id}' is known.")
    return user


def find_or_create_user(uow: UnitOfWork, external_id: str, timezone: str, now: datetime) -> UserRef:
    """Resolve a JWT subject: a read when the user exists, a write only on first sight."""
    with uow:
        found = repository.user_ref_row(uow.session, external_id)
        if found is not None:
            return UserRef(*found)
    with uow:
        ref = ensure_user(uow.session, external_id, timezone, now)
        uow.commit()
        return ref
