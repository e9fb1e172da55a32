"""Operators grant shields (admin scope)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, documented
from api.schemas.fields import user_id_field
from game.forest.domain import MAX_SHIELD_HOURS, SHIELD_HOURS_DEFAULT
from game.forest.services import shields

blp = Blueprint("admin_shields", __name__, url_prefix="/v1/admin/shields",
                description="Shields against stealing (operators)")


class ShieldGrantSchema(Schema):
    user_id = user_id_field(required=True)
    hours = fields.Integer(load_default=SHIELD_HOURS_DEFAULT, strict=True,
                           validate=validate.Range(1, MAX_SHIELD_HOURS))


class ShieldSchema(Schema):
    user_id = fields.String()
    shield_until = fields.DateTime()


@blp.route("")
class Shields(MethodView):
    @partner_required("admin")
    @blp.arguments(ShieldGrantSchema)
    @blp.response(200, ShieldSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 422))
    def post(self, body):
        """Grant a user a shield (24 h by default, added to any shield they have)."""
        return shields.grant_shield(uow(), body["user_id"], body["hours"], now())
