"""GET /healthz, /livez and /readyz: what a load balancer and an orchestrator ask."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.context import uow
from api.core.docs import documented
from api.core.errors import ApiProblem
from db.migrate import head_revisions, schema_revisions

blp = Blueprint("health", __name__, description="Liveness and readiness")


class HealthSchema(Schema):
    status = fields.String()


def _unavailable(detail: str) -> ApiProblem:
    # Retry-After: a probe or a client may ask again soon; outages are usually short.
    return ApiProblem(503, "Unavailable", detail, headers={"Retry-After": "5"},
                      code="database_unavailable")


def _database_revisions() -> set[str]:
    try:
        with uow() as u:
            return schema_revisions(u.session.connection())
    except Exception as exc:  # the database is down: say so, do not crash
        raise _unavailable("The database does not answer.") from exc


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @documented(blp, errors=(503,))
    def get(self):
        """200 when the database answers."""
        _database_revisions()
        return {"status": "ok"}


@blp.route("/livez")
class Live(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """200 while the process answers; asks nothing of the database (a liveness probe must
        not restart every pod during a database outage)."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @documented(blp, errors=(503,))
    def get(self):
        """200 when the database answers and its schema is at this code's migration head."""
        found = _database_revisions()
        # The code's heads never change while the process runs: read the scripts once.
        wanted = current_app.extensions.get("canopy_heads")
        if wanted is None:
            wanted = current_app.extensions["canopy_heads"] = head_revisions()
        if found != wanted:
            raise _unavailable(f"The database schema is at {sorted(found) or 'no revision'}; "
                               f"this code needs {sorted(wanted)} (run `flask db-upgrade`).")
        return {"status": "ok"}
