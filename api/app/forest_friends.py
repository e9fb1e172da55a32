"""Friends: requests, list, unfriend, and the friends leaderboard."""

from __future__ import annotations

import json

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, PageQuerySchema, TimeKeyPageQuerySchema, documented, page_of
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.fields import user_id_field
from game.forest.domain import LEADERBOARD_PERIODS
from game.forest.services import friends

blp = Blueprint("forest_friends", __name__, description="Friends and the leaderboard")


class FriendRequestSchema(Schema):
    user_id = user_id_field(required=True)


class FriendRequestResultSchema(Schema):
    user_id = fields.String()
    status = fields.String(metadata={"description": "requested | friends"})
    since = fields.DateTime(allow_none=True)


class FriendSchema(Schema):
    user_id = fields.String()
    since = fields.DateTime()


FriendPageSchema = page_of(FriendSchema)


class IncomingRequestSchema(Schema):
    user_id = fields.String()
    asked_at = fields.DateTime()


IncomingRequestPageSchema = page_of(IncomingRequestSchema)


class LeaderboardQuerySchema(Schema):
    period = fields.String(load_default="day", validate=validate.OneOf(LEADERBOARD_PERIODS))


class RankSchema(Schema):
    rank = fields.Integer()
    user_id = fields.String()
    energy_g = fields.Integer()
    me = fields.Boolean()


class LeaderboardSchema(Schema):
    """What the view answers; it writes this shape itself (leaderboard_json), not through a
    dump of 201 items. tests/api/test_leaderboard_api.py holds it to this schema."""

    period = fields.String()
    from_ = fields.DateTime(data_key="from", allow_none=True,
                            metadata={"description": "null for period=total"})
    to = fields.DateTime(allow_none=True, metadata={"description": "null for period=total"})
    items = fields.List(fields.Nested(RankSchema))


def leaderboard_json(board: dict) -> Response:
    """The board as LeaderboardSchema would dump it (ISO 8601 times), around the items the
    service already encoded: the busiest read's response skips marshmallow and never holds
    its items as Python objects."""
    start, end = board["from"], board["to"]
    head = json.dumps({"period": board["period"], "from": start.isoformat() if start else None,
                       "to": end.isoformat() if end else None})
    return current_app.response_class(f'{head[:-1]}, "items": {board["items_json"]}}}\n',
                                      mimetype="application/json")


@blp.route("/v1/me/friends")
class Friends(MethodView):
    @user_required
    @idempotent
    @blp.arguments(FriendRequestSchema)
    @blp.response(200, FriendRequestResultSchema)
    @documented(blp, security=USER, errors=(401, 404, 409, 422))
    def post(self, body):
        """Ask a user to be friends; when both have asked, you are friends. A request to a
        user not seen yet is kept (at most 20 per asker) and delivered when they arrive."""
        return friends.request_friend(uow(), current_user().id, body["user_id"], now())

    @user_required
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, FriendPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """My friends."""
        return paged(friends.list_friends(uow(), current_user().id, query["after"],
                                          query["limit"]))


@blp.route("/v1/me/friends/<string:user_id>")
class Friend(MethodView):
    @user_required
    @blp.response(204)
    @documented(blp, security=USER, errors=(401, 404, 422))
    def delete(self, user_id):
        """Unfriend, or withdraw or decline a friend request."""
        friends.unfriend(uow(), current_user().id, user_id)


@blp.route("/v1/me/friend-requests")
class FriendRequests(MethodView):
    @user_required
    @blp.arguments(TimeKeyPageQuerySchema, location="query")
    @blp.response(200, IncomingRequestPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """Friend requests others sent me that I have not answered, oldest first."""
        return paged(friends.incoming_requests(uow(), current_user().id, query["after"],
                                               query["limit"]))


@blp.route("/v1/me/leaderboard")
class Leaderboard(MethodView):
    @user_required
    @blp.arguments(LeaderboardQuerySchema, location="query")
    @blp.response(200, LeaderboardSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """Me and my friends ranked by energy earned today, this week (my local time) or ever."""
        user = current_user()
        return leaderboard_json(friends.leaderboard_document(
            uow(), user.id, user.timezone, query["period"], now()))
