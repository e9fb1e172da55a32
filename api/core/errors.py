"""Every error is RFC 9457 problem+json; domain errors map to a status in one table.

Every body carries a stable `code` and `type` (api/core/problems.py): the error class's own, or for
a refusal raised without one, the default of its status.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import BadRequest, HTTPException

from api.core.problems import ProblemCode, catalogue, default_code, type_uri
from api.core.request_log import request_id
from carbon import errors as carbon_errors

log = logging.getLogger(__name__)

# Domain error class -> HTTP status. A subclass inherits its base's status (first match in MRO).
STATUS_BY_ERROR: dict[type[Exception], int] = {
    carbon_errors.InvalidInput: 422,
    carbon_errors.NotFound: 404,
    carbon_errors.Forbidden: 403,
    carbon_errors.Conflict: 409,
    carbon_errors.CanopyError: 500,
}


class ApiProblem(Exception):
    """An HTTP-level refusal raised by the api layer itself (auth, headers, body shape)."""

    def __init__(self, status: int, title: str, detail: str, errors: dict | None = None,
                 headers: dict | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers, self.code = errors, headers or {}, code


def problem(status: int, title: str, detail: str, errors: dict | None = None,
            headers: dict | None = None, code: str | None = None) -> Response:
    code = code or default_code(status)
    body = {"type": type_uri(code), "code": code, "status": status, "title": title,
            "detail": detail}
    if errors:
        body["errors"] = errors
    body["request_id"] = request_id()  # what a user quotes to find the log lines
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def status_for(exc: Exception) -> int:
    return status_for_class(type(exc))


def status_for_class(cls: type[Exception]) -> int:
    for base in cls.__mro__:
        if base in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[base]
    return 500


def problem_codes() -> dict[str, ProblemCode]:
    """Every code a client can meet, with its status (the OpenAPI and README print this)."""
    return catalogue(status_for_class)


def _domain_error(exc: carbon_errors.CanopyError) -> Response:
    status = status_for(exc)
    if status >= 500:
        # A server fault: its class and words are for our logs, not for the client.
        return _unexpected(exc)
    return problem(status, exc.title, exc.detail, getattr(exc, "errors", None),
                   code=exc.code)


def _api_problem(exc: ApiProblem) -> Response:
    return problem(exc.status, exc.title, exc.detail, exc.errors, exc.headers, exc.code)


def _http_error(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if exc.code == 422 and messages:
        fields = _flatten_messages(messages)
        detail = "The request has invalid fields: " + ", ".join(sorted(fields)) + "."
        return problem(422, "Invalid input", detail, fields)
    detail = data.get("message") or exc.description or exc.name
    if isinstance(exc, BadRequest) and detail == BadRequest.description:
        detail = "The request body could not be read: send JSON with Content-Type: application/json."
    return problem(exc.code or 500, exc.name, detail, headers=dict(_allow(exc)))


def _allow(exc: HTTPException):
    for k, v in exc.get_headers():
        if k.lower() == "allow":
            yield k, v


def _flatten_messages(messages: dict) -> dict:
    """webargs nests messages by location ('json', 'query'); clients want them by field."""
    out: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out[location] = fields
    return out


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Internal error", "Something went wrong on our side; nothing was changed.")


def init_app(app: Flask) -> None:
    app.register_error_handler(carbon_errors.CanopyError, _domain_error)
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
