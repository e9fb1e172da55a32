"""A planting partner's orders: list, confirm with evidence, reject with a reason."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import current_partner, partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, PageQuerySchema, documented
from api.core.pagination import paged
from api.schemas.date_fields import BoundedDateTime
from api.schemas.fields import Storable, known_id, text_field
from api.schemas.plantings import OrderPageSchema, OrderSchema
from game.forest.domain import ORDER_STATUSES
from game.forest.services import decisions

blp = Blueprint("partner_plantings", __name__, url_prefix="/v1/partner/plantings",
                description="Planting orders, for the partner that plants them")


class OrderQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))


class EvidenceSchema(Schema):
    planted_at = BoundedDateTime(required=True, metadata={
        "description": "ISO 8601 with offset, not in the future"})
    latitude = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    plot = text_field(1, 128, required=True)
    photo_urls = fields.List(fields.Url(schemes={"http", "https"}, validate=Storable()),
                             required=True, validate=validate.Length(max=20))
    note = text_field(0, 2000, load_default="")


class RejectSchema(Schema):
    reason = text_field(1, 2000, required=True)


@blp.route("")
class PartnerOrders(MethodView):
    @partner_required("plantings")
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """The orders for my projects, by status (pending orders are waiting for me)."""
        return paged(decisions.partner_orders(uow(), current_partner().id, query["status"],
                                              query["after"], query["limit"]))


@blp.route("/<int:order_id>/confirm")
class ConfirmOrder(MethodView):
    @partner_required("plantings", replayable=True)  # deciding again changes nothing
    @blp.arguments(EvidenceSchema)
    @blp.response(200, OrderSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 409, 422))
    def post(self, evidence, order_id):
        """Confirm a planting with evidence; the certificates are issued (idempotent)."""
        return decisions.confirm(uow(), current_partner().id, known_id(order_id, "order"),
                                 evidence, now())


@blp.route("/<int:order_id>/reject")
class RejectOrder(MethodView):
    @partner_required("plantings", replayable=True)  # deciding again changes nothing
    @blp.arguments(RejectSchema)
    @blp.response(200, OrderSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 409, 422))
    def post(self, body, order_id):
        """Reject a pending order: the energy is refunded and the budget restored."""
        return decisions.reject(uow(), current_partner().id, known_id(order_id, "order"),
                                body["reason"], now())
