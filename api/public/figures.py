"""Public figures anyone may read."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.context import uow
from api.core.docs import documented
from game.stats.services import public_stats

blp = Blueprint("public", __name__, url_prefix="/v1/public", description="Public figures")


class PublicStatsSchema(Schema):
    users = fields.Integer()
    co2e_total_g = fields.Integer(metadata={"description": "CO2e saved by all users"})
    trees_planted = fields.Integer(metadata={"description": "trees confirmed planted"})
    eggs_donated = fields.Integer()


@blp.route("/stats")
class PublicStats(MethodView):
    @blp.response(200, PublicStatsSchema)
    @documented(blp, errors=())
    def get(self):
        """Users, CO2e saved, trees planted and eggs donated, all time."""
        return public_stats(uow())
