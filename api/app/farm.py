"""The user's farm: the chicken's state, feeding, thief chickens, the daily quiz."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, DateKeyPageQuerySchema, documented, page_of
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.fields import text_field
from game.farm.services import chicken, feed_grants, quiz

blp = Blueprint("farm", __name__, url_prefix="/v1/me/farm",
                description="The chicken, its feed and eggs, thief chickens, the daily quiz")


class VisitorMealSchema(Schema):
    user_id = fields.String()
    eaten_g = fields.Integer()


class FarmSchema(Schema):
    feed_store_g = fields.Integer(metadata={"description": "feed in the store (at most 1,800 g)"})
    trough_g = fields.Integer(metadata={"description": "feed left in my trough"})
    state = fields.String(metadata={"description": "eating | hungry | visiting"})
    egg_progress = fields.Integer(metadata={"description": "grams eaten toward the next egg, "
                                                           "0..899"})
    eggs = fields.Integer(metadata={"description": "eggs held (laid and not donated)"})
    eggs_laid = fields.Integer()
    eggs_donated = fields.Integer()
    visiting = fields.String(allow_none=True,
                             metadata={"description": "the friend whose trough my chicken eats at"})
    visitors = fields.List(fields.String(),
                           metadata={"description": "friends' chickens eating at my trough"})
    as_of = fields.DateTime(metadata={"description": "the second this state is exact at"})
    visitor_meals = fields.List(fields.Nested(VisitorMealSchema), metadata={
        "description": "what each visiting chicken has eaten at my trough so far"})
    visiting_eaten_g = fields.Integer(allow_none=True, metadata={
        "description": "what my chicken has eaten at the friend's trough so far"})
    trough_empty_at = fields.DateTime(allow_none=True, metadata={
        "description": "when my trough runs dry if no chicken comes or goes (null: nobody "
                       "eats from it)"})
    next_egg_at = fields.DateTime(allow_none=True, metadata={
        "description": "when my chicken lays its next egg, if the trough it eats at lasts "
                       "that long (null: it needs another meal first)"})


class ChasedSchema(Schema):
    user_id = fields.String()
    eaten_g = fields.Integer(metadata={"description": "what it ate at my trough this visit"})


class ChaseSchema(Schema):
    chased = fields.List(fields.Nested(ChasedSchema))
    farm = fields.Nested(FarmSchema)


class QuizSchema(Schema):
    date = fields.Date(metadata={"description": "my local date"})
    question_id = fields.Integer()
    question = fields.String()
    choices = fields.List(fields.String())
    answered = fields.Boolean()
    correct = fields.Boolean(allow_none=True)


class QuizAnswerSchema(Schema):
    answer = text_field(1, 200, required=True)


class QuizResultSchema(Schema):
    date = fields.Date()
    question_id = fields.Integer()
    correct = fields.Boolean()
    correct_answer = fields.String()
    feed_g = fields.Integer(metadata={"description": "feed earned (180 g for a right answer)"})
    lost_g = fields.Integer(metadata={"description": "of feed_g, what the full store could not "
                                                     "hold and was lost"})
    feed_store_g = fields.Integer()
    message = fields.String()


class FeedGrantSchema(Schema):
    date = fields.Date(metadata={"description": "my local date the feed was earned for"})
    source = fields.String(metadata={"description": "the activity type, or quiz"})
    kind = fields.String(metadata={"description": "activity | quiz"})
    units = fields.Integer(metadata={"description": "payments (or answers) that earned it"})
    feed_g = fields.Integer(metadata={"description": "feed granted"})
    stored_g = fields.Integer(metadata={"description": "of feed_g, what went into my store"})
    lost_g = fields.Integer(metadata={"description": "of feed_g, what my full store (1,800 g) "
                                                     "could not hold"})
    granted_at = fields.DateTime()


FeedGrantPageSchema = page_of(FeedGrantSchema)


@blp.route("")
class Farm(MethodView):
    @user_required
    @blp.response(200, FarmSchema)
    @documented(blp, security=USER, errors=(401,))
    def get(self):
        """My farm, exact to the second: store, trough, the chicken's state and eggs."""
        return chicken.farm_state(uow(), current_user().id, now())


@blp.route("/feed")
class Feed(MethodView):
    @user_required
    @idempotent
    @blp.response(200, FarmSchema)
    @documented(blp, security=USER, errors=(401, 409))
    def post(self):
        """Fill the empty trough with 180 g from the store (a chicken away comes home)."""
        return chicken.feed(uow(), current_user().id, now())


@blp.route("/feed-grants")
class FeedGrants(MethodView):
    @user_required
    @blp.arguments(DateKeyPageQuerySchema, location="query")
    @blp.response(200, FeedGrantPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """Feed I was granted, newest day first: how much, and how much a full store lost."""
        return paged(feed_grants.feed_grants(uow(), current_user().id, query["after"],
                                             query["limit"]))


@blp.route("/visit/<string:friend_id>")
class Visit(MethodView):
    @user_required
    @idempotent
    @blp.response(200, FarmSchema)
    @documented(blp, security=USER, errors=(401, 403, 404, 409, 422))
    def post(self, friend_id):
        """Send my hungry chicken to eat at a friend's trough, for my eggs."""
        return chicken.visit(uow(), current_user().id, friend_id, now())


@blp.route("/chase")
class Chase(MethodView):
    @user_required
    @idempotent
    @blp.response(200, ChaseSchema)
    @documented(blp, security=USER, errors=(401, 409))
    def post(self):
        """Chase every friend's chicken away from my trough."""
        farm, chased = chicken.chase(uow(), current_user().id, now())
        return {"farm": farm, "chased": chased}


@blp.route("/quiz")
class Quiz(MethodView):
    @user_required
    @blp.response(200, QuizSchema)
    @documented(blp, security=USER, errors=(401, 404))
    def get(self):
        """Today's quiz question (my local day) and whether I answered it."""
        user = current_user()
        return quiz.quiz_today(uow(), user.id, user.timezone, now())

    @user_required
    @idempotent
    @blp.arguments(QuizAnswerSchema)
    @blp.response(200, QuizResultSchema)
    @documented(blp, security=USER, errors=(401, 404, 409, 422))
    def post(self, body):
        """Answer today's question, once: a right answer earns 180 g of feed."""
        user = current_user()
        result = quiz.answer_quiz(uow(), user.id, user.timezone, body["answer"], now())
        return {**vars(result), "message": _quiz_message(result)}


def _quiz_message(r: quiz.QuizResult) -> str:
    if not r.correct:
        return f"Not quite: the answer was '{r.correct_answer}'. Try again tomorrow."
    if r.lost_g == 0:
        return f"Right! {r.feed_g} g of feed went into your store."
    if r.lost_g == r.feed_g:
        return f"Right! But your store is full (1,800 g): the {r.feed_g} g of feed were lost."
    return (f"Right! {r.feed_g - r.lost_g} g of feed went into your store; {r.lost_g} g did not "
            "fit (it holds 1,800 g) and were lost.")
