"""POST /v1/admin/settlements: ask for a local date to be settled (the nightly job does it by
itself); the jobs process settles it in the background and GET .../{id} shows its progress."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, documented
from api.schemas.date_fields import BoundedDate
from api.schemas.fields import text_field
from carbon.services.settlement_requests import request_settlement, settlement_progress

blp = Blueprint("admin_settlements", __name__, url_prefix="/v1/admin/settlements",
                description="Operators: settlement")


class SettleRequestSchema(Schema):
    date = BoundedDate(required=True, metadata={"description": "the local date to settle"})
    timezones = fields.List(text_field(1, 64), load_default=None,
                            metadata={"description": "only these zones (default: every zone "
                                      "that has users)"})


class ZoneProgressSchema(Schema):
    timezone = fields.String()
    status = fields.String(metadata={"description": "not_over (the local day had not ended "
                                     "when asked: not settled) | waiting | running | completed"})
    batches_planned = fields.Integer()
    batches_done = fields.Integer()
    balls = fields.Integer(metadata={"description": "balls of the finished batches"})
    energy_g = fields.Integer()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class SettlementProgressSchema(Schema):
    id = fields.Integer()
    date = fields.Date(attribute="local_date")
    status = fields.String(metadata={"description": "requested | running | completed | failed"})
    error = fields.String(allow_none=True, metadata={"description": "why it failed"})
    requested_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    batches_planned = fields.Integer()
    batches_done = fields.Integer()
    balls = fields.Integer()
    energy_g = fields.Integer()
    zones = fields.List(fields.Nested(ZoneProgressSchema))


@blp.route("")
class Settlements(MethodView):
    @partner_required("admin")
    @blp.arguments(SettleRequestSchema)
    @blp.response(202, SettlementProgressSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def post(self, body):
        """Ask for a local date to be settled in the background; the same question while it is
        open answers the same settlement."""
        request_id = request_settlement(uow(), body["date"], body["timezones"], now())
        location = url_for("admin_settlements.Settlement", request_id=request_id)
        return settlement_progress(uow(), request_id), {"Location": location}


@blp.route("/<int:request_id>")
class Settlement(MethodView):
    @partner_required("admin")
    @blp.response(200, SettlementProgressSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def get(self, request_id):
        """A background settlement's progress: per zone, batches done of planned, balls, energy."""
        return settlement_progress(uow(), request_id)
