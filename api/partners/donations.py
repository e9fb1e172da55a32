"""Charity partners: the donation records of their projects, confirmed with a reference."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import current_partner, partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, PageQuerySchema, documented, page_of
from api.core.pagination import paged
from api.schemas.fields import known_id, text_field
from game.farm.services import donation_records

blp = Blueprint("partner_donations", __name__, url_prefix="/v1/partner/donations",
                description="Donation records (charity partners)")


class RecordSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_name = fields.String()
    sequence = fields.Integer(metadata={"description": "n-th record of the project"})
    eggs = fields.Integer()
    amount_fen = fields.Integer(metadata={"description": "owed by the sponsor to the charity"})
    sponsor_name = fields.String()
    status = fields.String(metadata={"description": "pending | confirmed"})
    reference = fields.String(allow_none=True)
    created_at = fields.DateTime()
    confirmed_at = fields.DateTime(allow_none=True)


RecordPageSchema = page_of(RecordSchema)


class RecordQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None,
                           validate=validate.OneOf(donation_records.RECORD_STATUSES))


class ConfirmSchema(Schema):
    reference = text_field(1, 128, required=True, metadata={
        "description": "the charity's receipt or transfer reference"})


@blp.route("")
class Records(MethodView):
    @partner_required("donations")
    @blp.arguments(RecordQuerySchema, location="query")
    @blp.response(200, RecordPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """Donation records of my charity projects, oldest first."""
        return paged(donation_records.partner_records(uow(), current_partner().id,
                                                      query["status"], query["after"],
                                                      query["limit"]))


@blp.route("/<int:record_id>/confirm")
class Confirm(MethodView):
    @partner_required("donations", replayable=True)  # deciding again changes nothing
    @blp.arguments(ConfirmSchema)
    @blp.response(200, RecordSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 409, 422))
    def post(self, body, record_id):
        """Confirm receipt of a donation with a reference (again with the same one: no change)."""
        return donation_records.confirm_record(uow(), current_partner().id,
                                               known_id(record_id, "donation record"),
                                               body["reference"], now())
