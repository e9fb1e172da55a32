"""Request bodies are bounded before anything parses them: in bytes (413) and in JSON depth (400).

One hook for every route, so a new route cannot forget it: a 16 MB body once grew a worker from
92 to ~600 MB for good, and JSON nested 5,000 deep made the parser overflow into a 500.
"""

from __future__ import annotations

import json
import math

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from api.core.context import config
from api.core.errors import ApiProblem, problem

# Routes allowed more than BODY_MAX_BYTES (endpoint -> name of the Config attribute).
LARGE_BODIES = {"partner_events.PartnerEvents": "EVENTS_BODY_MAX_BYTES"}
# Routes that read their own body and judge its items one by one (a bad event is rejected alone,
# the batch goes on); they still get the byte limit, and they bound depth themselves.
SELF_PARSED = {"partner_events.PartnerEvents"}


class JsonTooDeep(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as inf, which no JSON column can hold
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def depth_of(value: object, limit: int) -> int:
    """Nesting of arrays and objects (a scalar is 0), level by level, without recursion; stops
    counting past `limit`."""
    depth, level = 0, [value]
    while depth <= limit:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [child for item in containers
                 for child in (item.values() if isinstance(item, dict) else item)]
    return depth


def bounded_loads(data: bytes | str, max_depth: int) -> object:
    """Strict JSON (no NaN, Infinity or out-of-range numbers) at most max_depth deep."""
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError as exc:
        raise JsonTooDeep(f"the body is nested more than {max_depth} levels deep") from exc
    if depth_of(value, max_depth) > max_depth:
        raise JsonTooDeep(f"the body is nested more than {max_depth} levels deep")
    return value


def body_limit(endpoint: str | None) -> int:
    return getattr(config(), LARGE_BODIES.get(endpoint or "", "BODY_MAX_BYTES"))


def _bound_body() -> None:
    limit = body_limit(request.endpoint)
    request.max_content_length = limit  # werkzeug stops reading a longer stream with a 413
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    if request.endpoint in SELF_PARSED or not request.is_json:
        return
    data = request.get_data(cache=True)  # RequestEntityTooLarge past the limit
    if data:
        _check_json(data, config().JSON_MAX_DEPTH)


def _check_json(data: bytes, max_depth: int) -> None:
    try:
        bounded_loads(data, max_depth)
    except JsonTooDeep as exc:
        raise ApiProblem(400, "JSON too deep", f"{str(exc).capitalize()}.",
                         code="json_too_deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, "Malformed JSON", f"The body is not valid JSON: {exc}.",
                         code="malformed_json") from exc


class BoundedJSONProvider(DefaultJSONProvider):
    """request.get_json() with the same bounds as the hook (webargs parses on its own)."""

    def loads(self, s: str | bytes, **kwargs) -> object:
        return bounded_loads(s, self._app.config["CANOPY"].JSON_MAX_DEPTH)


def _body_too_large(exc: RequestEntityTooLarge):
    """Raised from Content-Length, or by werkzeug while reading a stream without a length."""
    limit = body_limit(request.endpoint)
    return problem(413, "Body too large", f"This route accepts a body of at most {limit} bytes.",
                   code="body_too_large")


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(_bound_body)
    app.register_error_handler(RequestEntityTooLarge, _body_too_large)
