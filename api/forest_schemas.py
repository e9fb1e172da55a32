"""Schemas shared by the forest's resources, and the checks of path ids."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from api.docs import page_of
from api.errors import ApiProblem
from carbon.domain import USER_ID_RULE, is_valid_user_id

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


class ProjectSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "tree | reserve"})
    unit = fields.String(metadata={"description": "tree | m2: what cost and budget count"})
    region = fields.String()
    energy_cost_g = fields.Integer(metadata={"description": "energy per tree or per m²"})
    budget = fields.Integer(metadata={"description": "trees or m² left this season"})
    status = fields.String(metadata={"description": "open | closed"})
    partner_id = fields.Integer()
    partner_name = fields.String()


ProjectPageSchema = page_of(ProjectSchema)


class EvidenceOutSchema(Schema):
    planted_at = fields.DateTime()
    latitude = fields.Float()
    longitude = fields.Float()
    plot = fields.String()
    photo_urls = fields.List(fields.String())
    note = fields.String()


class OrderSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_name = fields.String()
    kind = fields.String()
    quantity = fields.Integer()
    energy_g = fields.Integer()
    status = fields.String(metadata={"description": "pending | planted | rejected"})
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    group_id = fields.Integer(allow_none=True)
    evidence = fields.Nested(EvidenceOutSchema, allow_none=True)
    certificates = fields.List(fields.String(), metadata={"description": "certificate numbers"})


OrderPageSchema = page_of(OrderSchema)


class CertificateSchema(Schema):
    number = fields.String(metadata={"example": "CNP-2026-000001"})
    kind = fields.String(metadata={"description": "tree | reserve | duty"})
    project_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True)
    group_id = fields.Integer(allow_none=True)
    quantity = fields.Integer(metadata={"description": "trees, m², or certificates exchanged"})
    year = fields.Integer()
    issued_at = fields.DateTime()
    used_for = fields.String(allow_none=True,
                             metadata={"description": "the duty certificate it was exchanged for"})


CertificatePageSchema = page_of(CertificateSchema)
