"""Operators manage the planting projects (admin scope)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, PageQuerySchema, documented
from api.core.pagination import paged
from api.schemas.fields import Storable, known_id, text_field
from api.schemas.plantings import ProjectPageSchema, ProjectSchema
from game.forest.domain import PROJECT_KINDS, PROJECT_STATUSES
from game.forest.services import projects

blp = Blueprint("admin_projects", __name__, url_prefix="/v1/admin/projects",
                description="Planting projects (operators)")

_BIG = validate.Range(min=0, max=10**15)


class ProjectUpdateSchema(Schema):
    name = text_field(1, 128)
    region = text_field(1, 128)
    energy_cost_g = fields.Integer(strict=True, validate=validate.Range(1, 10**12),
                                   metadata={"description": "per tree, or per m² of a reserve"})
    budget = fields.Integer(strict=True, validate=_BIG,
                            metadata={"description": "trees or m² available (set, not added)"})
    status = fields.String(validate=validate.OneOf(PROJECT_STATUSES))
    partner_name = text_field(1, 64, metadata={"description": "the planting partner's name"})


class ProjectCreateSchema(ProjectUpdateSchema):
    code = fields.String(required=True, validate=[
        validate.Length(1, 32), validate.Regexp(r"^[a-z0-9][a-z0-9-]*\Z",
                                                error="lowercase letters, digits and dashes"),
        Storable()])
    name = text_field(1, 128, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(PROJECT_KINDS))
    region = text_field(1, 128, required=True)
    energy_cost_g = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10**12))
    budget = fields.Integer(required=True, strict=True, validate=_BIG)
    status = fields.String(load_default="open", validate=validate.OneOf(PROJECT_STATUSES))
    partner_name = text_field(1, 64, required=True)


@blp.route("")
class AdminProjects(MethodView):
    @partner_required("admin")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ProjectPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """All planting projects."""
        return paged(projects.list_projects(uow(), query["after"], query["limit"]))

    @partner_required("admin")
    @blp.arguments(ProjectCreateSchema)
    @blp.response(201, ProjectSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def post(self, body):
        """Create a planting project for a partner."""
        return projects.create_project(uow(), body, now())


@blp.route("/<int:project_id>")
class AdminProject(MethodView):
    @partner_required("admin")
    @blp.response(200, ProjectSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def get(self, project_id):
        """One planting project."""
        return projects.get_project(uow(), known_id(project_id, "planting project"))

    @partner_required("admin")
    @blp.arguments(ProjectUpdateSchema)
    @blp.response(200, ProjectSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 422))
    def patch(self, body, project_id):
        """Change a project: name, region, cost, budget (a new season), status or partner."""
        return projects.update_project(uow(), known_id(project_id, "planting project"), body)
