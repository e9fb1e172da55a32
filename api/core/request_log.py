"""A request id for every request, and one access line per request that carries it.

The id comes from the client's X-Request-ID when it is a sane token (a proxy's or an app's
trace id), else it is made here; it is bound in a contextvar for the request, so every log
line written meanwhile carries it, and it is echoed in the X-Request-ID header and in every
problem+json body, so that a user's report finds the log lines of its request.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from flask import Flask, Response, current_app, g, has_request_context, request

from db.applog import get_logger

log = get_logger("canopy.access")

HEADER = "X-Request-ID"
# Letters, digits and . _ : - up to 128 characters (UUIDs, W3C trace ids, ULIDs): anything else
# is replaced, never echoed, so a header or a log line cannot carry hostile bytes.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
PATH_LOGGED_MAX = 256  # characters of the path kept in an access line


def request_id() -> str | None:
    """This request's id (made on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def _begin() -> None:
    structlog.contextvars.clear_contextvars()  # a waitress thread serves request after request
    g.request_started = time.perf_counter()
    structlog.contextvars.bind_contextvars(request_id=request_id())


def _end(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    if current_app.config["CANOPY"].ACCESS_LOG:
        log.info("request", **_access_fields(response))
    return response


def _access_fields(response: Response) -> dict:
    started = g.get("request_started")
    fields = {
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None,
        "path": request.path[:PATH_LOGGED_MAX],
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "remote_addr": request.remote_addr,
    }
    # Only who was established (a verified token or signature), never what a header claims.
    user, partner = g.get("user"), g.get("partner")
    if user is not None:
        fields["user_id"] = user.external_id
    if partner is not None:
        fields["partner_key_id"] = partner.key_id
    return fields


def _forget(_exc: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()


def init_app(app: Flask) -> None:
    """Registered before every other hook: its before_request runs first and its after_request
    last, so the line has the final status and every refusal (rate limit, body) its id."""
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_forget)
