"""Co-planting groups: create, invite and accept members, contribute to the shared pot."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, PageQuerySchema, documented, page_of
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.fields import ID, known_id, text_field, user_id_field
from game.forest.services import groups

blp = Blueprint("forest_groups", __name__, description="Co-planting groups (合种)")


class GroupCreateSchema(Schema):
    name = text_field(1, 64, required=True)
    project_id = fields.Integer(required=True, strict=True, validate=ID)


class MemberAddSchema(Schema):
    user_id = user_id_field(required=True, metadata={
        "description": "a friend to invite, or yourself to accept an invitation"})


class ContributionSchema(Schema):
    energy_g = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10**12))


class MemberSchema(Schema):
    user_id = fields.String()
    status = fields.String(metadata={"description": "invited | member"})
    given_g = fields.Integer()


class GroupOrderSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "pending | planted | rejected"})
    certificates = fields.List(fields.String())


class GroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    project_id = fields.Integer()
    project_name = fields.String()
    status = fields.String(metadata={"description": "open | ordered | planted | rejected"})
    cost_g = fields.Integer(metadata={"description": "energy one tree (or m²) costs"})
    pot_g = fields.Integer(metadata={"description": "energy in the shared pot"})
    members = fields.List(fields.Nested(MemberSchema))
    order = fields.Nested(GroupOrderSchema, allow_none=True)


GroupPageSchema = page_of(GroupSchema)


@blp.route("/v1/groups")
class Groups(MethodView):
    @user_required
    @idempotent
    @blp.arguments(GroupCreateSchema)
    @blp.response(201, GroupSchema)
    @documented(blp, security=USER, errors=(401, 404, 409, 422))
    def post(self, body):
        """Start a co-planting group for one project; I am its first member."""
        return groups.create_group(uow(), current_user().id, body["name"], body["project_id"],
                                   now())


@blp.route("/v1/me/groups")
class MyGroups(MethodView):
    @user_required
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, GroupPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """The groups I belong to or am invited to, by id."""
        return paged(groups.my_groups(uow(), current_user().id, query["after"], query["limit"]))


@blp.route("/v1/groups/<int:group_id>")
class Group(MethodView):
    @user_required
    @blp.response(200, GroupSchema)
    @documented(blp, security=USER, errors=(401, 404))
    def get(self, group_id):
        """A group I belong to or am invited to: members, pot, order."""
        return groups.get_group(uow(), current_user().id, known_id(group_id, "group"))


@blp.route("/v1/groups/<int:group_id>/members")
class GroupMembers(MethodView):
    @user_required
    @idempotent
    @blp.arguments(MemberAddSchema)
    @blp.response(200, GroupSchema)
    @documented(blp, security=USER, errors=(401, 403, 404, 409, 422))
    def post(self, body, group_id):
        """Invite a friend (as a member), or accept my invitation (my own user_id)."""
        return groups.add_member(uow(), current_user().id, known_id(group_id, "group"),
                                 body["user_id"], now())


@blp.route("/v1/groups/<int:group_id>/contributions")
class GroupContributions(MethodView):
    @user_required
    @idempotent
    @blp.arguments(ContributionSchema)
    @blp.response(201, GroupSchema)
    @documented(blp, security=USER, errors=(401, 403, 404, 409, 422))
    def post(self, body, group_id):
        """Give energy to the pot; when it reaches the cost, the order is placed."""
        return groups.contribute(uow(), current_user().id, known_id(group_id, "group"),
                                 body["energy_g"], now())
