"""Projects, my plantings, my certificates and the national duty certificate."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, PageQuerySchema, documented
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.fields import ID
from api.schemas.plantings import (
    CertificatePageSchema,
    OrderPageSchema,
    OrderSchema,
    ProjectPageSchema,
)
from game.forest.domain import MAX_ORDER_QUANTITY
from game.forest.services import certificates, plantings, projects

blp = Blueprint("forest_plantings", __name__, description="Projects, plantings, certificates")


class PlantSchema(Schema):
    project_id = fields.Integer(required=True, strict=True, validate=ID)
    quantity = fields.Integer(load_default=1, strict=True,
                              validate=validate.Range(1, MAX_ORDER_QUANTITY),
                              metadata={"description": "trees, or m² for a reserve"})


class DutySchema(Schema):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))


class DutyCertificateSchema(Schema):
    number = fields.String(metadata={"example": "DUTY-2026-000001"})
    year = fields.Integer()
    issued_at = fields.DateTime()
    exchanged = fields.List(fields.String(), metadata={"description": "tree certificates used"})


@blp.route("/v1/projects")
class Projects(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ProjectPageSchema)
    @documented(blp, errors=(422,))
    def get(self, query):
        """Planting projects: trees and reserves, their cost, partner, region, budget, status."""
        return paged(projects.list_projects(uow(), query["after"], query["limit"]))


@blp.route("/v1/me/plantings")
class MyPlantings(MethodView):
    @user_required
    @idempotent
    @blp.arguments(PlantSchema)
    @blp.response(201, OrderSchema)
    @documented(blp, security=USER, errors=(401, 404, 409, 422))
    def post(self, body):
        """Plant: take the energy and the project's budget, and order the planting."""
        return plantings.plant(uow(), current_user().id, body["project_id"], body["quantity"],
                               now())

    @user_required
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, OrderPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """My planting orders and their status: pending, planted, rejected."""
        return paged(plantings.my_orders(uow(), current_user().id, query["after"],
                                         query["limit"]))


@blp.route("/v1/me/certificates")
class MyCertificates(MethodView):
    @user_required
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CertificatePageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """My numbered certificates: trees, reserves and duty certificates."""
        return paged(certificates.list_certificates(uow(), current_user().id, query["after"],
                                                    query["limit"]))


@blp.route("/v1/me/duty-certificates")
class DutyCertificates(MethodView):
    @user_required
    @idempotent
    @blp.arguments(DutySchema)
    @blp.response(201, DutyCertificateSchema)
    @documented(blp, security=USER, errors=(401, 409, 422))
    def post(self, body):
        """Exchange three unused tree certificates of a year for that year's duty certificate."""
        return certificates.exchange_for_duty(uow(), current_user().id, body["year"], now())
