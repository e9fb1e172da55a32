"""POST /v1/admin/settlements: settle a local date now (the nightly job does it by itself)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import partner_required
from api.context import config, now, uow
from api.docs import PARTNER, documented
from api.forest_schemas import text_field
from api.input_fields import BoundedDate
from game.daily import settle_day_and_follow_up

blp = Blueprint("admin_settlements", __name__, url_prefix="/v1/admin/settlements",
                description="Operators: settlement")


class SettleRequestSchema(Schema):
    date = BoundedDate(required=True, metadata={"description": "the local date to settle"})
    timezones = fields.List(text_field(1, 64), load_default=None,
                            metadata={"description": "only these zones (default: every zone "
                                      "that has users)"})


class ZoneReportSchema(Schema):
    timezone = fields.String()
    status = fields.String(metadata={"description": "settled | already_settled | not_over"})
    batches = fields.Integer()
    balls = fields.Integer()
    energy_g = fields.Integer()


class SettlementReportSchema(Schema):
    date = fields.Date()
    settled = fields.List(fields.String(), metadata={"description": "zones whose day is settled"})
    skipped = fields.List(fields.String(),
                          metadata={"description": "zones whose local day is not over yet"})
    balls = fields.Integer(metadata={"description": "balls created by this call"})
    energy_g = fields.Integer(metadata={"description": "energy issued by this call"})
    zones = fields.List(fields.Nested(ZoneReportSchema))


@blp.route("")
class Settlements(MethodView):
    @partner_required("admin")
    @blp.arguments(SettleRequestSchema)
    @blp.response(200, SettlementReportSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def post(self, body):
        """Settle a local date in every zone whose day is over; rerunning creates nothing twice."""
        report = settle_day_and_follow_up(uow, body["date"], now(), body["timezones"],
                                          config().SETTLE_BATCH_USERS,
                                          config().SETTLE_WORKERS)
        return {"date": report.local_date, "settled": report.settled, "skipped": report.skipped,
                "balls": report.balls, "energy_g": report.energy_g,
                "zones": [vars(z) for z in report.zones]}
