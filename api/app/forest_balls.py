"""A friend's forest: look at their balls, steal from ripe ones, water them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, TimeKeyPageQuerySchema, documented
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.fields import known_id
from game.forest.domain import WATER_AMOUNTS_G
from game.forest.services import steal, water

blp = Blueprint("forest_balls", __name__, url_prefix="/v1/friends",
                description="Stealing and watering between friends")


class FriendBallSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    kind = fields.String(metadata={"description": "settlement | water"})
    energy_g = fields.Integer(metadata={"description": "energy left in the ball"})
    original_energy_g = fields.Integer()
    status = fields.String(metadata={"description": "growing | ripe"})
    ripe_at = fields.DateTime()
    expires_at = fields.DateTime()
    stealable = fields.Boolean(metadata={"description": "false for watered balls"})
    stolen_by_me = fields.Boolean()
    can_steal_g = fields.Integer(metadata={"description": "what a steal would take now"})


class FriendBallsSchema(Schema):
    user_id = fields.String()
    shield_until = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(FriendBallSchema))
    next_cursor = fields.String(allow_none=True)


class StolenSchema(Schema):
    ball_id = fields.Integer()
    stolen_g = fields.Integer()
    energy_g = fields.Integer(metadata={"description": "my available energy after"})


class WaterSchema(Schema):
    energy_g = fields.Integer(required=True, strict=True,
                              metadata={"description": f"one of {list(WATER_AMOUNTS_G)}"})


class WateredSchema(Schema):
    user_id = fields.String()
    ball_id = fields.Integer()
    energy_g = fields.Integer()
    my_energy_g = fields.Integer(metadata={"description": "my available energy after"})
    waterings_left_today = fields.Integer()


@blp.route("/<string:user_id>/balls")
class FriendBalls(MethodView):
    @user_required
    @blp.arguments(TimeKeyPageQuerySchema, location="query")
    @blp.response(200, FriendBallsSchema)
    @documented(blp, security=USER, errors=(401, 403, 404, 422))
    def get(self, query, user_id):
        """A friend's balls by ripening time, and what I could steal from each."""
        view = steal.friend_balls(uow(), current_user().id, user_id, now(), query["after"],
                                  query["limit"])
        balls = view.pop("balls")
        return {**view, **paged(balls)}


@blp.route("/<string:user_id>/balls/<int:ball_id>/steal")
class Steal(MethodView):
    @user_required
    @idempotent
    @blp.response(200, StolenSchema)
    @documented(blp, security=USER, errors=(401, 403, 404, 409))
    def post(self, user_id, ball_id):
        """Steal from a friend's ripe ball: 20% of it, once, never past half of it."""
        return steal.steal(uow(), current_user().id, user_id, known_id(ball_id, "ball"), now())


@blp.route("/<string:user_id>/water")
class Water(MethodView):
    @user_required
    @idempotent
    @blp.arguments(WaterSchema)
    @blp.response(200, WateredSchema)
    @documented(blp, security=USER, errors=(401, 403, 404, 409, 422))
    def post(self, body, user_id):
        """Water a friend: my energy arrives as a ripe ball nobody can steal (3 times a day)."""
        user = current_user()
        return water.water(uow(), user.id, user.timezone, user_id, body["energy_g"], now())
