"""Operators manage the charity projects (admin scope)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, documented
from api.core.pagination import paged
from api.schemas.charity import CharityProjectPageSchema, CharityProjectSchema, ProjectQuerySchema
from api.schemas.fields import known_id, text_field
from game.farm.services import charity

blp = Blueprint("admin_charity", __name__, url_prefix="/v1/admin/charity-projects",
                description="Charity projects (operators)")

_AMOUNT = validate.Range(1, 10**9)


class CharityProjectUpdateSchema(Schema):
    name = text_field(1, 128)
    partner_name = text_field(1, 64, metadata={
        "description": "the charity partner (a key with the 'donations' scope)"})
    sponsor_name = text_field(1, 128)
    fen_per_egg = fields.Integer(strict=True, validate=_AMOUNT)
    egg_target = fields.Integer(strict=True, validate=_AMOUNT, metadata={
        "description": "eggs per donation record; fixed once eggs were donated"})
    status = fields.String(validate=validate.OneOf(charity.STATUSES))


class CharityProjectCreateSchema(CharityProjectUpdateSchema):
    name = text_field(1, 128, required=True)
    partner_name = text_field(1, 64, required=True)
    sponsor_name = text_field(1, 128, required=True)
    fen_per_egg = fields.Integer(required=True, strict=True, validate=_AMOUNT)
    egg_target = fields.Integer(required=True, strict=True, validate=_AMOUNT)
    status = fields.String(load_default="open", validate=validate.OneOf(charity.STATUSES))


@blp.route("")
class AdminCharityProjects(MethodView):
    @partner_required("admin")
    @blp.arguments(ProjectQuerySchema, location="query")
    @blp.response(200, CharityProjectPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """All charity projects."""
        return paged(charity.list_projects(uow(), query["after"], query["limit"],
                                           query["status"]))

    @partner_required("admin")
    @blp.arguments(CharityProjectCreateSchema)
    @blp.response(201, CharityProjectSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def post(self, body):
        """Create a charity project: its charity partner, sponsor, price per egg and target."""
        return charity.create_project(uow(), body, now())


@blp.route("/<int:project_id>")
class AdminCharityProject(MethodView):
    @partner_required("admin")
    @blp.response(200, CharityProjectSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404))
    def get(self, project_id):
        """One charity project."""
        return charity.get_project(uow(), known_id(project_id, "charity project"))

    @partner_required("admin")
    @blp.arguments(CharityProjectUpdateSchema)
    @blp.response(200, CharityProjectSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 409, 422))
    def patch(self, body, project_id):
        """Change a project: name, partner, sponsor, price per egg, target (before any
        donation) or status."""
        return charity.update_project(uow(), known_id(project_id, "charity project"), body)
