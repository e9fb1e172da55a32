"""Charity projects (public progress) and users' egg donations."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, PageQuerySchema, documented, page_of
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.charity import CharityProjectPageSchema, CharityProjectSchema, ProjectQuerySchema
from api.schemas.fields import MAX_ID, known_id
from game.farm.services import charity
from game.farm.services.my_donations import my_donations

blp = Blueprint("charity", __name__, description="Charity projects and egg donations")


class DonateSchema(Schema):
    project_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))
    eggs = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10**9))


class DonationSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    eggs = fields.Integer()
    eggs_left = fields.Integer(metadata={"description": "my eggs after this donation"})
    project_eggs_donated = fields.Integer()
    records_created = fields.List(fields.Integer(), metadata={
        "description": "sequence numbers of the donation records this gift completed"})
    created_at = fields.DateTime()


class MyDonationSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_name = fields.String()
    eggs = fields.Integer()
    created_at = fields.DateTime()


MyDonationPageSchema = page_of(MyDonationSchema)


@blp.route("/v1/charity-projects")
class CharityProjects(MethodView):
    @blp.arguments(ProjectQuerySchema, location="query")
    @blp.response(200, CharityProjectPageSchema)
    @documented(blp, errors=(422,))
    def get(self, query):
        """Charity projects with the eggs donated and the target of each record."""
        return paged(charity.list_projects(uow(), query["after"], query["limit"],
                                           query["status"]))


@blp.route("/v1/charity-projects/<int:project_id>")
class CharityProject(MethodView):
    @blp.response(200, CharityProjectSchema)
    @documented(blp, errors=(404,))
    def get(self, project_id):
        """One charity project and its progress."""
        return charity.get_project(uow(), known_id(project_id, "charity project"))


@blp.route("/v1/me/donations")
class Donations(MethodView):
    @user_required
    @idempotent
    @blp.arguments(DonateSchema)
    @blp.response(201, DonationSchema)
    @documented(blp, security=USER, errors=(401, 404, 409, 422))
    def post(self, body):
        """Donate whole eggs to an open charity project."""
        return charity.donate(uow(), current_user().id, body["project_id"], body["eggs"], now())

    @user_required
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, MyDonationPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """My egg donations, newest first."""
        return paged(my_donations(uow(), current_user().id, query["after"], query["limit"]))
