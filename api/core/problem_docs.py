"""The problem+json responses of every operation, documented in one place.

An apispec plugin sees each operation as its blueprint is registered and adds the refusals it
can meet, each a shared response that points at the one Problem schema: 400/413/415 where a
body is read, 401/403 where it has security, 404 where a path or body names a resource,
409 where it changes state, 422 where it takes input, 429 and 503 everywhere. Statuses a route
documents itself (api.core.docs.documented) are kept and pointed at the same responses. The
catalogue of codes goes into the document as `x-problem-codes`.
"""

from __future__ import annotations

from apispec import APISpec, BasePlugin

from api.core.docs import ProblemSchema
from api.core.errors import problem_codes
from api.core.problems import type_uri

MUTATING = frozenset({"post", "put", "patch", "delete"})

# status -> (response component name, description)
RESPONSES: dict[int, tuple[str, str]] = {
    400: ("MalformedRequest", "Malformed request: the body is not JSON or a header cannot be "
          "read"),
    401: ("Unauthorized", "Missing or invalid credentials"),
    403: ("Forbidden", "The caller may not do this"),
    404: ("NotFound", "No such resource"),
    409: ("Conflict", "Refused by a rule of the current state"),
    413: ("BodyTooLarge", "The request body is too large"),
    415: ("UnsupportedMediaType", "The body must be application/json"),
    422: ("InvalidInput", "Invalid input: `errors` says what is wrong with each field"),
    429: ("RateLimited", "Too many requests: retry after Retry-After seconds"),
    503: ("Unavailable", "The service or its database cannot answer now; retry later"),
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                "schema": {"type": "integer"}}}


def statuses_for(path: str, method: str, operation: dict) -> set[int]:
    """The problem statuses an operation can answer with."""
    has_body = "requestBody" in operation
    mutating = method in MUTATING
    statuses = {429, 503}
    if has_body or mutating:
        statuses |= {400, 422}
    if has_body:
        statuses |= {404, 413, 415}
    if mutating:
        statuses.add(409)
    if operation.get("security"):
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if operation.get("parameters"):
        statuses.add(422)
    return statuses | {int(s) for s in operation.get("responses", {}) if int_status(s) in RESPONSES}


def int_status(key) -> int | None:
    return int(key) if str(key).isdigit() else None


class ProblemResponses(BasePlugin):
    """Documents the problem responses of each operation as apispec registers its path."""

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        spec.components.schema("Problem", schema=ProblemSchema)
        codes = problem_codes()
        for status, (name, description) in RESPONSES.items():
            listed = ", ".join(f"`{c}`" for c, e in codes.items() if e.status == status)
            response = {"description": f"{description}. Codes: {listed}." if listed
                        else description + ".",
                        "content": {"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}}}}
            if status in (429, 503):
                response["headers"] = _RETRY_AFTER
            spec.components.response(name, response)
        spec.options["x-problem-codes"] = {
            c: {"status": e.status, "title": e.title, "description": e.meaning,
                "type": type_uri(c)} for c, e in codes.items()}

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            if method not in MUTATING | {"get", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            statuses = statuses_for(path or "", method, operation)
            for key in [k for k in responses if str(k) == "default" or
                        (int_status(k) or 0) in RESPONSES]:
                del responses[key]  # flask-smorest's application/json Error, or a route's own
            for status in sorted(statuses):
                responses[str(status)] = {
                    "$ref": f"#/components/responses/{RESPONSES[status][0]}"}

