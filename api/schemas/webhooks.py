"""Partner webhooks in the API: endpoints and deliveries, as operators and partners see them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.core.docs import PageQuerySchema, page_of
from api.schemas.fields import Storable, text_field
from carbon.domain.webhooks import DELIVERY_STATUSES, EVENT_TYPES


class EndpointCreateSchema(Schema):
    partner_name = text_field(1, 64, required=True, metadata={
        "description": "the partner whose events are sent (its secret signs them)"})
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=[validate.Length(max=2000), Storable()])
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)),
                              required=True, validate=validate.Length(1, len(EVENT_TYPES)))


class EndpointSchema(Schema):
    id = fields.Integer()
    partner_name = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    active = fields.Boolean()
    failures = fields.Integer(metadata={"description": "failed sends in a row"})
    blocked_until = fields.DateTime(allow_none=True, metadata={
        "description": "no send to it before then (backoff after failures)"})
    created_at = fields.DateTime()


class EndpointQuerySchema(PageQuerySchema):
    partner_name = text_field(1, 64, load_default=None)


class DeliverySchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer(metadata={"description": "Canopy-Event-Id: de-duplicate on it"})
    event_type = fields.String()
    occurred_at = fields.DateTime()
    data = fields.Dict()
    endpoint_id = fields.Integer()
    url = fields.String()
    status = fields.String(metadata={"description": " | ".join(DELIVERY_STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(metadata={"description": "dead-lettered if not delivered by"})
    last_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


EndpointPageSchema = page_of(EndpointSchema)
DeliveryPageSchema = page_of(DeliverySchema)


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))
