"""The user's feed: what happened to me (stolen from, watered, asked to be friends, orders
decided) and what I did to others, newest first."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.auth import current_user, user_required
from api.core.context import uow
from api.core.docs import USER, TimeKeyPageQuerySchema, documented, page_of
from api.core.pagination import paged
from carbon.services import outbox

blp = Blueprint("me_feed", __name__, url_prefix="/v1/me", description="The user's feed")


class FeedItemSchema(Schema):
    id = fields.Integer()
    type = fields.String(metadata={"description": (
        "energy_stolen, watered, friend_request, friend_accepted, planting_ordered, "
        "planting_confirmed, planting_rejected, group_pot_filled, donation_made, "
        "shield_granted, feed_granted, feed_lost (the store was full: lost_g > 0)")})
    at = fields.DateTime()
    user_id = fields.String(allow_none=True, metadata={
        "description": "the other user (the thief, the friend), when there is one"})
    by_me = fields.Boolean(metadata={"description": "whether I did it (I stole, I watered)"})
    energy_g = fields.Integer()
    refund_g = fields.Integer(metadata={"description": "energy given back to me"})
    ball_id = fields.Integer()
    order_id = fields.Integer()
    group_id = fields.Integer(allow_none=True)
    project_id = fields.Integer()
    quantity = fields.Integer()
    certificate_numbers = fields.List(fields.String())
    reason = fields.String()
    donation_id = fields.Integer()
    eggs = fields.Integer()
    record_sequences = fields.List(fields.Integer())
    hours = fields.Integer()
    shield_until = fields.String()
    feed_g = fields.Integer()
    lost_g = fields.Integer(metadata={"description": "of feed_g, what the full store lost"})
    source = fields.String(metadata={"description": "what earned the feed: an activity, quiz"})
    local_date = fields.String(metadata={"description": "the local day the feed was earned"})


FeedItemPageSchema = page_of(FeedItemSchema)


@blp.route("/feed")
class Feed(MethodView):
    @user_required
    @blp.arguments(TimeKeyPageQuerySchema, location="query")
    @blp.response(200, FeedItemPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """My feed, newest first; items are kept CANOPY_FEED_RETENTION_DAYS (90) days."""
        return paged(outbox.feed(uow(), current_user().id, query["after"], query["limit"]))
