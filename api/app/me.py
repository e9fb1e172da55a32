"""The user's own account: summary, carbon statement, energy balls and collecting them."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.auth import current_user, user_required
from api.core.context import now, uow
from api.core.docs import USER, PageQuerySchema, documented, page_of
from api.core.idempotency import idempotent
from api.core.pagination import paged
from api.schemas.date_fields import BoundedDate
from carbon.services import account, balls
from game.farm.services.totals import egg_totals
from game.forest.services.certificates import trees_planted_by
from game.forest.services.thefts import thieves_of

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The user's own account")


class MeSchema(Schema):
    user_id = fields.String()
    timezone = fields.String()
    energy_g = fields.Integer(metadata={"description": "available energy"})
    co2e_total_g = fields.Integer()
    shield_until = fields.DateTime(allow_none=True)
    eggs = fields.Integer(metadata={"description": "eggs held (laid and not donated)"})
    eggs_donated = fields.Integer()
    trees_planted = fields.Integer(metadata={"description": "trees on my certificates"})


class CarbonQuerySchema(Schema):
    from_ = BoundedDate(data_key="from", load_default=None,
                        metadata={"description": "first local date; default 29 days before 'to'"})
    to = BoundedDate(load_default=None, metadata={"description": "last local date; default today"})


class StatementDaySchema(Schema):
    date = fields.Date()
    co2e_g = fields.Integer()
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())


class StatementMonthSchema(Schema):
    month = fields.String(metadata={"example": "2026-03"})
    co2e_g = fields.Integer()


class CarbonStatementSchema(Schema):
    """What the view answers; it writes this shape itself (statement_json) around the JSON
    text the service made, not through a dump: a year's statement is 366 days of nested
    objects (marshmallow's per-field work on them was 28 ms against 7 for one day).
    tests/api/test_me_carbon.py holds it to this schema."""

    from_ = fields.Date(data_key="from")
    to = fields.Date()
    days = fields.List(fields.Nested(StatementDaySchema))
    months = fields.List(fields.Nested(StatementMonthSchema))
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    total_co2e_g = fields.Integer(metadata={"description": "in the range"})
    all_time_co2e_g = fields.Integer()


class ThiefSchema(Schema):
    user_id = fields.String()
    energy_g = fields.Integer()
    at = fields.DateTime()


class BallSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    kind = fields.String(metadata={"description": "settlement | water"})
    local_date = fields.Date()
    energy_g = fields.Integer(metadata={"description": "energy left in the ball"})
    status = fields.String(metadata={"description": "growing | ripe"})
    ripe_at = fields.DateTime()
    expires_at = fields.DateTime()
    original_energy_g = fields.Integer(metadata={"description": "energy when it was issued"})
    stolen_g = fields.Integer(metadata={"description": "of it, what friends stole"})
    stolen_by = fields.List(fields.Nested(ThiefSchema), metadata={
        "description": "who stole from it, oldest first"})


BallPageSchema = page_of(BallSchema)


class CollectedSchema(Schema):
    collected_g = fields.Integer()
    energy_g = fields.Integer(metadata={"description": "available energy after collecting"})


class CollectedAllSchema(CollectedSchema):
    balls = fields.Integer(metadata={"description": "how many balls were collected"})


@blp.route("")
class Me(MethodView):
    @user_required
    @blp.response(200, MeSchema)
    @documented(blp, security=USER, errors=(401,))
    def get(self):
        """My account: available energy, CO2e saved, shield, eggs."""
        summary = account.account_summary(uow(), current_user().id)
        eggs = egg_totals(uow(), current_user().id, now())
        return {**vars(summary), "eggs": eggs.eggs, "eggs_donated": eggs.eggs_donated,
                "trees_planted": trees_planted_by(uow(), current_user().id)}


def statement_json(doc: account.StatementDocument) -> Response:
    """The statement as CarbonStatementSchema would dump it, around its JSON parts."""
    return current_app.response_class(
        f'{{"from": "{doc.from_date.isoformat()}", "to": "{doc.to_date.isoformat()}", '
        f'"days": {doc.days_json}, "months": {doc.months_json}, "by_type": {doc.by_type_json}, '
        f'"total_co2e_g": {doc.total_co2e_g}, "all_time_co2e_g": {doc.all_time_co2e_g}}}\n',
        mimetype="application/json")


@blp.route("/carbon")
class Carbon(MethodView):
    @user_required
    @blp.arguments(CarbonQuerySchema, location="query")
    @blp.response(200, CarbonStatementSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, query):
        """My carbon statement: CO2e saved per day and type, per month and in total."""
        user = current_user()
        start, end = account.statement_range(query["from_"], query["to"], now(), user.timezone)
        return statement_json(account.statement_document(uow(), user.id, start, end))


@blp.route("/balls")
class Balls(MethodView):
    @user_required
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, BallPageSchema)
    @documented(blp, security=USER, errors=(401, 422))
    def get(self, page):
        """My balls not yet collected or expired (growing or ripe)."""
        me = current_user().id
        found = balls.ball_page(uow(), me, now(), page["after"], page["limit"])
        thieves = thieves_of(uow(), me, [b.id for b in found.items if b.stolen_g])
        return paged(found, lambda b: {**_ball(b), "stolen_by": thieves.get(b.id, [])})


@blp.route("/balls/<int:ball_id>/collect")
class CollectBall(MethodView):
    @user_required
    @idempotent
    @blp.response(200, CollectedSchema)
    @documented(blp, security=USER, errors=(401, 404, 409))
    def post(self, ball_id):
        """Collect a ripe ball: its energy moves to my available energy."""
        collected, energy = balls.collect_ball(uow(), current_user().id, ball_id, now())
        return {"collected_g": collected, "energy_g": energy}


@blp.route("/balls/collect-all")
class CollectAll(MethodView):
    @user_required
    @idempotent
    @blp.response(200, CollectedAllSchema)
    @documented(blp, security=USER, errors=(401,))
    def post(self):
        """Collect every ripe ball I have (none ripe: 0 collected)."""
        count, collected, energy = balls.collect_all(uow(), current_user().id, now())
        return {"balls": count, "collected_g": collected, "energy_g": energy}


def _ball(b: balls.BallView) -> dict:
    return {"id": b.id, "type": b.activity_type, "kind": b.kind, "local_date": b.local_date,
            "energy_g": b.energy_g, "status": b.status, "ripe_at": b.ripe_at,
            "expires_at": b.expires_at, "original_energy_g": b.original_g,
            "stolen_g": b.stolen_g}
