"""Bounded fields of request bodies (free text, user ids) and the checks of path ids,
shared by every caller's resources."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from api.core.errors import ApiProblem
from carbon.domain.account import USER_ID_RULE, is_valid_user_id

MAX_ID = 2**63 - 1  # ids beyond BIGINT are simply not found (never a database error)
ID = validate.Range(min=1, max=MAX_ID)


class Storable(validate.Validator):
    """No NUL and no lone UTF-16 surrogate: the two things no text column can hold."""

    def __call__(self, value: str) -> str:
        if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
            raise ValidationError("must not hold NUL characters or lone surrogates")
        return value


def text_field(min_length: int, max_length: int, **kw) -> fields.String:
    """Free text (names, notes, reasons) that a database column can hold."""
    return fields.String(validate=[validate.Length(min_length, max_length), Storable()], **kw)


class UserId(validate.Validator):
    def __call__(self, value: str) -> str:
        if not is_valid_user_id(value):
            raise ValidationError(f"must be {USER_ID_RULE}")
        return value


def user_id_field(**kw) -> fields.String:
    return fields.String(validate=UserId(), **kw)


def known_id(value: int, what: str) -> int:
    if not 0 < value <= MAX_ID:
        raise ApiProblem(404, "Not found", f"No {what} {value}.")
    return value
