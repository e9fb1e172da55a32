"""Schemas of the methodology catalog (admin): activity types and their versions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.core.docs import page_of
from api.schemas.date_fields import BoundedDateTime
from api.schemas.fields import text_field


class VersionSchema(Schema):
    id = fields.Integer()
    effective_from = fields.DateTime()
    effective_to = fields.DateTime(allow_none=True)
    factor_num = fields.Integer()
    factor_den = fields.Integer()
    cap_g = fields.Integer(allow_none=True)
    cap_period = fields.String(allow_none=True)
    note = fields.String()
    created_at = fields.DateTime()


class ActivityTypeSchema(Schema):
    key = fields.String()
    unit = fields.String()
    aggregate = fields.String()
    max_quantity = fields.Integer()
    dedupe_attribute = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    versions = fields.List(fields.Nested(VersionSchema))


ActivityTypePageSchema = page_of(ActivityTypeSchema)


class VersionCreateSchema(Schema):
    effective_from = BoundedDateTime(load_default=None, metadata={
        "description": "ISO 8601 with offset, not in the past; default now"})
    factor_num = fields.Integer(required=True, strict=True, metadata={
        "description": "co2e_g = floor(quantity * factor_num / factor_den)"})
    factor_den = fields.Integer(required=True, strict=True)
    cap_g = fields.Integer(load_default=None, allow_none=True, strict=True)
    cap_period = fields.String(load_default=None, allow_none=True,
                               validate=validate.OneOf(["day", "month"]))
    note = text_field(0, 255, load_default="")


class ActivityTypeCreateSchema(VersionCreateSchema):
    key = text_field(1, 32, required=True, metadata={"example": "bike_ride"})
    unit = text_field(1, 128, required=True, metadata={"example": "ride on a shared bike"})
    aggregate = fields.String(required=True, validate=validate.OneOf(["sum", "max"]))
    max_quantity = fields.Integer(required=True, strict=True)
    dedupe_attribute = text_field(1, 32, load_default=None, allow_none=True)


class ActivityTypePatchSchema(Schema):
    active = fields.Boolean(required=True)
