"""/v1/admin/activity-types: the methodology catalog (partner key with the admin scope)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, TextKeyPageQuerySchema, documented
from api.core.pagination import paged
from api.schemas.catalog import (
    ActivityTypeCreateSchema,
    ActivityTypePageSchema,
    ActivityTypePatchSchema,
    ActivityTypeSchema,
    VersionCreateSchema,
)
from carbon.services import methodology
from carbon.services.methodology import TypeSpec, VersionSpec

blp = Blueprint("admin_catalog", __name__, description="Methodology catalog (admin)")

_VERSION_FIELDS = ("effective_from", "factor_num", "factor_den", "cap_g", "cap_period", "note")


def _version_spec(body: dict) -> VersionSpec:
    return VersionSpec(**{k: body[k] for k in _VERSION_FIELDS})


@blp.route("/v1/admin/activity-types")
class ActivityTypes(MethodView):
    @partner_required("admin")
    @blp.arguments(TextKeyPageQuerySchema, location="query")
    @blp.response(200, ActivityTypePageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """Activity types with their methodology versions, by key."""
        return paged(methodology.list_types(uow(), query["after"], query["limit"]))

    @partner_required("admin")
    @blp.arguments(ActivityTypeCreateSchema)
    @blp.response(201, ActivityTypeSchema)
    @documented(blp, security=PARTNER, errors=(400, 401, 403, 409, 422))
    def post(self, body):
        """Create an activity type with its first methodology version."""
        spec = TypeSpec(body["key"], body["unit"], body["aggregate"], body["max_quantity"],
                        body["dedupe_attribute"], _version_spec(body))
        return methodology.create_type(uow(), spec, now())


@blp.route("/v1/admin/activity-types/<string:key>")
class ActivityTypeByKey(MethodView):
    @partner_required("admin")
    @blp.response(200, ActivityTypeSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def get(self, key):
        """One activity type with its methodology versions."""
        return methodology.get_type(uow(), key)

    @partner_required("admin")
    @blp.arguments(ActivityTypePatchSchema)
    @blp.response(200, ActivityTypeSchema)
    @documented(blp, security=PARTNER, errors=(400, 401, 403, 404, 422))
    def patch(self, body, key):
        """Deactivate (its events are refused from now on) or reactivate a type."""
        return methodology.set_active(uow(), key, body["active"])


@blp.route("/v1/admin/activity-types/<string:key>/versions")
class ActivityTypeVersions(MethodView):
    @partner_required("admin")
    @blp.arguments(VersionCreateSchema)
    @blp.response(201, ActivityTypeSchema)
    @documented(blp, security=PARTNER, errors=(400, 401, 403, 404, 422))
    def post(self, body, key):
        """Add a methodology version from a future instant; it closes the latest version."""
        return methodology.add_version(uow(), key, _version_spec(body), now())
