"""POST /v1/me/steps: the phone's step count for one local date."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, documented
from api.core.idempotency import idempotent
from api.schemas.events import StepsResultSchema, StepsSchema
from carbon.services.events import record_steps

blp = Blueprint("steps", __name__, description="Step counts from the app")


@blp.route("/v1/me/steps")
class Steps(MethodView):
    @user_required
    @idempotent
    @blp.arguments(StepsSchema)
    @blp.response(201, StepsResultSchema)
    @documented(blp, security=USER, errors=(400, 401, 409, 422))
    def post(self, body):
        """Report today's (or a recent day's) step count; the day's highest count counts."""
        return record_steps(uow(), current_user(), body["date"], body["steps"], now())
