"""GET /healthz."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from api.context import uow
from api.docs import documented

blp = Blueprint("health", __name__, description="Liveness")


class HealthSchema(Schema):
    status = fields.String()


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @documented(blp, errors=(503,))
    def get(self):
        """200 when the database answers (503 when it does not, from api/outage.py)."""
        with uow() as u:
            u.session.execute(text("SELECT 1"))
        return {"status": "ok"}
