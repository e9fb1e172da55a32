"""Operators manage the quiz question bank (admin scope)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.core.auth import partner_required
from api.core.context import now, uow
from api.core.docs import PARTNER, PageQuerySchema, documented, page_of
from api.core.pagination import paged
from api.schemas.fields import known_id, text_field
from game.farm.services import quiz_bank

blp = Blueprint("admin_quiz", __name__, url_prefix="/v1/admin/quiz-questions",
                description="The farm's quiz question bank (operators)")

_CHOICES = validate.Length(2, quiz_bank.MAX_CHOICES)


class QuestionSchema(Schema):
    id = fields.Integer()
    question = fields.String()
    choices = fields.List(fields.String())
    answer = fields.String()
    active = fields.Boolean(metadata={"description": "only active questions are asked"})
    created_at = fields.DateTime()


QuestionPageSchema = page_of(QuestionSchema)


class QuestionUpdateSchema(Schema):
    question = text_field(1, 500)
    choices = fields.List(text_field(1, 200), validate=_CHOICES)
    answer = text_field(1, 200, metadata={"description": "one of the choices"})
    active = fields.Boolean()


class QuestionCreateSchema(QuestionUpdateSchema):
    question = text_field(1, 500, required=True)
    choices = fields.List(text_field(1, 200), required=True, validate=_CHOICES)
    answer = text_field(1, 200, required=True)
    active = fields.Boolean(load_default=True)


@blp.route("")
class Questions(MethodView):
    @partner_required("admin")
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, QuestionPageSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def get(self, query):
        """The question bank, with the answers."""
        return paged(quiz_bank.list_questions(uow(), query["after"], query["limit"]))

    @partner_required("admin")
    @blp.arguments(QuestionCreateSchema)
    @blp.response(201, QuestionSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 422))
    def post(self, body):
        """Add a question: its text, 2 to 6 choices and the right one."""
        return quiz_bank.create_question(uow(), body["question"], body["choices"],
                                         body["answer"], body["active"], now())


@blp.route("/<int:question_id>")
class Question(MethodView):
    @partner_required("admin")
    @blp.arguments(QuestionUpdateSchema)
    @blp.response(200, QuestionSchema)
    @documented(blp, security=PARTNER, errors=(401, 403, 404, 422))
    def patch(self, body, question_id):
        """Change a question or retire it (active false)."""
        return quiz_bank.update_question(uow(), known_id(question_id, "quiz question"), body)
