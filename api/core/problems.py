"""The catalogue of problem codes: every `code` a problem+json body can carry, with its status.

Clients branch on `code` (PRODUCT.md §7), so a code never changes meaning once published. The
catalogue is generated from the domain error classes (their `code`, `title` and docstring) plus
the refusals the api layer makes itself (API_PROBLEMS); the OpenAPI document (`x-problem-codes`)
and the README table (`python -m api.cli.problem_table`) both print it, so nothing is copied by hand.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from http import HTTPStatus

from carbon.errors import CanopyError

# Every problem's `type` is this prefix + its code: a URN names the problem class without
# pretending to be a page a client could (or should) fetch, as RFC 9457 §3.1.1 allows.
TYPE_PREFIX = "urn:canopy:problem:"

# The modules that define domain errors; tests/unit/test_error_codes.py checks that every
# errors.py of the domain packages is listed, so a new one cannot miss the catalogue.
ERROR_MODULES = ("carbon.errors", "game.forest.errors", "game.farm.errors",
                 "game.transparency.errors")

# Refusals made by the api layer (framework errors, auth, headers, limits): code -> status,
# title, meaning. A problem raised without a code gets DEFAULT_CODE_BY_STATUS's.
API_PROBLEMS: dict[str, tuple[int, str, str]] = {
    "malformed_request": (400, "Malformed request",
                          "The body is not readable JSON, or a header cannot be read."),
    "json_too_deep": (400, "JSON too deep", "The JSON body nests deeper than the API accepts."),
    "malformed_json": (400, "Malformed JSON", "The body is not JSON: bad syntax or UTF-8, NaN or "
                       "Infinity, or a number beyond a double's range such as 1e400."),
    "unauthorized": (401, "Unauthorized", "Credentials are missing or invalid: bearer token, "
                     "or partner key, timestamp and signature."),
    "token_missing": (401, "Unauthorized", "Send 'Authorization: Bearer <JWT>'."),
    "token_expired": (401, "Token expired", "The bearer token has expired; get a new one."),
    "token_invalid": (401, "Unauthorized", "The bearer token is not valid: signature, exp "
                      "missing or too far ahead, iss/aud, sub or tz not usable."),
    "signature_missing": (401, "Unauthorized", "Signed requests need X-Partner-Key, "
                          "X-Timestamp and X-Signature."),
    "signature_invalid": (401, "Unauthorized", "The signature does not match this key and "
                          "request (sign the path and query exactly as sent)."),
    "timestamp_invalid": (401, "Unauthorized", "X-Timestamp must be unix seconds (digits only)."),
    "timestamp_skew": (401, "Unauthorized", "X-Timestamp is too far from the server's clock."),
    "metrics_token_required": (401, "Unauthorized", "GET /metrics needs 'Authorization: "
                               "Bearer <CANOPY_METRICS_TOKEN>'."),
    "forbidden": (403, "Forbidden", "The caller may not do this: a missing scope or role."),
    "missing_scope": (403, "Forbidden", "This partner key lacks the scope the route needs."),
    "not_found": (404, "Not found", "No such path or resource."),
    "method_not_allowed": (405, "Method not allowed",
                           "The path exists but not with this method (see Allow)."),
    "conflict": (409, "Conflict", "The current state does not allow this request now."),
    "replayed_signature": (409, "Replayed signature", "This signed request was already "
                           "received once; sign a retry with a fresh X-Timestamp."),
    "request_in_progress": (409, "Request in progress", "A request with this Idempotency-Key "
                            "is still being processed; retry it later."),
    "body_too_large": (413, "Body too large", "The request body is larger than the API accepts."),
    "unsupported_media_type": (415, "Unsupported media type",
                               "Send the body as application/json."),
    "invalid_input": (422, "Invalid input",
                      "A field is missing or breaks a rule; `errors` names each field."),
    "idempotency_key_reused": (422, "Idempotency-Key reused",
                               "This Idempotency-Key was used with another request body."),
    "invalid_cursor": (422, "Invalid cursor",
                       "The cursor is not a next_cursor value from this list."),
    "request_header_fields_too_large": (431, "Request header fields too large",
                                        "The request's headers are larger than 64 KiB."),
    "rate_limited": (429, "Too many requests", "Slow down and retry after Retry-After seconds."),
    "internal_error": (500, "Internal error", "Something went wrong on our side; nothing was "
                       "changed. Quote the request id when reporting it."),
    "service_unavailable": (503, "Unavailable", "The service cannot answer now; retry later."),
    "database_unavailable": (503, "Unavailable", "The database does not answer; retry later."),
}

DEFAULT_CODE_BY_STATUS: dict[int, str] = {
    400: "malformed_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "body_too_large",
    415: "unsupported_media_type", 422: "invalid_input", 429: "rate_limited",
    500: "internal_error", 503: "service_unavailable",
}


@dataclass(frozen=True)
class ProblemCode:
    code: str
    status: int
    title: str
    meaning: str


def type_uri(code: str) -> str:
    return TYPE_PREFIX + code


def default_code(status: int) -> str:
    """The code of a problem raised without one: by status, else the status phrase in snake case
    (418 -> im_a_teapot) so that every body still carries a code."""
    if status in DEFAULT_CODE_BY_STATUS:
        return DEFAULT_CODE_BY_STATUS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "internal_error" if status >= 500 else "malformed_request"
    return "".join(c if c.isalnum() else "_" for c in phrase.lower().replace("'", ""))


def error_classes() -> list[type[CanopyError]]:
    """Every domain error class, after importing the modules that define them."""
    for name in ERROR_MODULES:
        importlib.import_module(name)
    found: list[type[CanopyError]] = []
    pending = list(CanopyError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def catalogue(status_for_class) -> dict[str, ProblemCode]:
    """code -> ProblemCode for every code a client can see, sorted by status then code.

    Server faults (status 500) are left out: their bodies always say internal_error."""
    entries = {code: ProblemCode(code, status, title, meaning)
               for code, (status, title, meaning) in API_PROBLEMS.items()}
    for cls in error_classes():
        status = status_for_class(cls)
        if cls.code and status < 500:
            meaning = (cls.__doc__ or "").strip().split("\n")[0] or cls.title + "."
            # The generic bases share their code with the api layer's refusals of the same
            # kind (not_found, conflict...); the api's wording, which covers both, is kept.
            entries.setdefault(cls.code, ProblemCode(cls.code, status, cls.title, meaning))
    return dict(sorted(entries.items(), key=lambda kv: (kv[1].status, kv[0])))


def markdown_table(entries: dict[str, ProblemCode]) -> str:
    rows = ["| code | status | title | meaning |", "|---|---|---|---|"]
    rows += [f"| `{e.code}` | {e.status} | {e.title} | {e.meaning} |" for e in entries.values()]
    return "\n".join(rows) + "\n"
