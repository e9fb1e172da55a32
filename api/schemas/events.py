"""Schemas of activity events: partner batches (documentation only) and the app's step counts."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.date_fields import BoundedDate


class EventSchema(Schema):
    """One activity event as a partner sends it. The batch is checked by hand, not by this
    schema (it documents the body): 1,000 events go through marshmallow far too slowly."""

    id = fields.String(required=True, metadata={"description": "The source's own id, 1..128 "
                                                "characters; (partner, id) is unique forever."})
    user_id = fields.String(required=True, metadata={"description": "1..64 characters"})
    type = fields.String(required=True, metadata={"example": "offline_payment"})
    quantity = fields.Integer(required=True, metadata={"description": "units of the type's unit"})
    occurred_at = fields.String(required=True, metadata={
        "description": "ISO 8601 with offset; at most 5 minutes in the future",
        "example": "2026-03-10T12:00:00+08:00"})
    attributes = fields.Dict(metadata={"description": "utility_bill needs account_no"})


class EventBatchSchema(Schema):
    events = fields.List(fields.Nested(EventSchema), required=True,
                         metadata={"description": "1 to 1000 events"})


class RejectionSchema(Schema):
    index = fields.Integer(metadata={"description": "position in the batch"})
    id = fields.String(allow_none=True)
    code = fields.String(metadata={"description": "invalid_id, invalid_user_id, unknown_type, "
                                   "inactive_type, invalid_quantity, quantity_too_high, "
                                   "invalid_occurred_at, future, no_methodology, "
                                   "invalid_attributes, missing_dedupe_attribute, "
                                   "batch_conflict, conflict, day_settled, invalid_event, retry"})
    error = fields.String()


class IngestResultSchema(Schema):
    accepted = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Nested(RejectionSchema))


class StepsSchema(Schema):
    date = BoundedDate(required=True, metadata={"description": "a local date of the user"})
    steps = fields.Integer(required=True, strict=True)


class StepsResultSchema(Schema):
    date = fields.Date()
    steps = fields.Integer(metadata={"description": "the highest count of that date so far"})
