"""Shared OpenAPI pieces: the problem schema, security requirements, error responses."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from marshmallow import INCLUDE, Schema, fields, post_load, validate

from api.core.pagination import MAX_CURSOR_LENGTH, decode

USER: list[dict[str, list[str]]] = [{"user": []}]
PARTNER: list[dict[str, list[str]]] = [{"partner": []}]

_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "Missing scope",
    404: "Not found",
    409: "Refused by a rule of the current state",
    422: "Invalid input",
    503: "The database does not answer",
}


class ProblemSchema(Schema):
    """An RFC 9457 problem; `code` is what clients branch on (listed in x-problem-codes)."""

    class Meta:
        # RFC 9457 lets a problem carry extension members; clients must ignore unknown ones.
        unknown = INCLUDE

    type = fields.String(required=True, metadata={
        "description": "urn:canopy:problem:<code>, a stable name of the problem class."})
    code = fields.String(required=True, metadata={
        "description": "Stable snake_case code of the problem class; one of x-problem-codes.",
        "pattern": "^[a-z][a-z0-9_]*$"})
    status = fields.Integer(required=True)
    title = fields.String(required=True, metadata={"description": "Short English summary."})
    detail = fields.String(required=True, metadata={"description": "What went wrong here."})
    errors = fields.Dict(metadata={"description": "Per field: what is wrong with it."})
    request_id = fields.String(metadata={"description": "Quote it when reporting a problem."})


def documented(blp, security=None, errors=(401, 422)):
    """Add security and problem+json error responses to a view's OpenAPI entry.

    api.core.problem_docs already gives every operation the problems of its kind (401/403 with
    security, 404 with path parameters...); `errors` adds the ones only this route meets."""

    def decorator(fn):
        if security is not None:
            fn = blp.doc(security=security)(fn)
        for code in errors:
            fn = blp.alt_response(code, schema=ProblemSchema, description=_DESCRIPTIONS[code],
                                  content_type="application/problem+json")(fn)
        return fn

    return decorator


MAX_PAGE = 200


class PageQuerySchema(Schema):
    """`?limit=&cursor=` of every list. Loaded, it also holds `after`: the key the page starts
    after (None for the first page), decoded in one place. A list ordered by something else
    than an id says so in KEY, e.g. (datetime, int)."""

    KEY: ClassVar[tuple[type, ...]] = (int,)

    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE))
    cursor = fields.String(load_default=None, metadata={
        "description": f"next_cursor of the previous page (opaque, at most "
                       f"{MAX_CURSOR_LENGTH} characters)"})

    @post_load
    def _after(self, data: dict, **_) -> dict:
        raw = data.get("cursor")
        return {**data, "after": None if raw is None else decode(raw, self.KEY)}


class TextKeyPageQuerySchema(PageQuerySchema):
    KEY = (str,)


class TimeKeyPageQuerySchema(PageQuerySchema):
    KEY = (datetime, int)


class DateKeyPageQuerySchema(PageQuerySchema):
    KEY = (date, int)


def page_of(item: type[Schema]) -> type[Schema]:
    """The contract's list envelope `{"items": [...], "next_cursor": ...}` for `item`, named
    after it (BallSchema -> BallPageSchema) so the OpenAPI components keep their names."""
    name = item.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (Schema,), {"items": fields.List(fields.Nested(item)),
                                  "next_cursor": fields.String(allow_none=True)})
