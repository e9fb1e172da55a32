"""Prometheus metrics of the web side: request latency by route, the 07:00 rush paths by outcome,
partner events by outcome, and GET /metrics for the scraper.

/metrics is served by the API's own workers (in multiprocess mode each one adds up every
process's files, the scheduler's included) to a bearer token, CANOPY_METRICS_TOKEN: a scraper
sends a static token easily, not an HMAC signature. Without the token configured /metrics does
not exist (404); with it, a request without the right token gets 401. It is exempt from rate
limits (api/core/limits.py) and not timed itself, so that scrapes do not blur the request figures.
"""

from __future__ import annotations

import functools
import hmac
import re
import time

from flask import Flask, Response, current_app, g, request

from api.core.errors import problem
from carbon.errors import CanopyError
from db import metrics

PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# URL rule -> action label of the rush paths (people set alarms for 07:00 to collect and steal).
RUSH_RULES = {
    "/v1/me/balls/<int:ball_id>/collect": "collect",
    "/v1/me/balls/collect-all": "collect_all",
    "/v1/friends/<string:user_id>/balls/<int:ball_id>/steal": "steal",
}


def init_app(app: Flask) -> None:
    """Call before the other hooks are registered: a request they refuse is timed too."""
    app.before_request(_start)
    app.after_request(_observe)
    app.add_url_rule(PATH, "canopy_metrics", _scrape, methods=["GET"])
    for rule in app.url_map.iter_rules():
        if rule.rule in RUSH_RULES and "POST" in (rule.methods or ()):
            app.view_functions[rule.endpoint] = _noting_refusals(app.view_functions[rule.endpoint])


def record_ingest(source: str, result) -> None:
    """Count one partner batch's events (an IngestResult) by outcome and rejection code."""
    if result.accepted:
        metrics.EVENTS.labels(source, "accepted", "").inc(result.accepted)
    if result.duplicates:
        metrics.EVENTS.labels(source, "duplicate", "").inc(result.duplicates)
    for rejection in result.rejected:
        metrics.EVENTS.labels(source, "rejected", rejection.code).inc()


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None or request.path == PATH:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.REQUEST_SECONDS.labels(rule, request.method, str(response.status_code)).observe(
        time.perf_counter() - started)
    action = RUSH_RULES.get(rule)
    if action and request.method == "POST":
        metrics.RUSH.labels(action, _outcome(response.status_code)).inc()
    return response


def _outcome(status: int) -> str:
    if status < 400:
        return "success"
    return g.get("metrics_refusal") or f"http_{status}"


def _noting_refusals(view):
    """The view, noting the domain error class that refused it (the error handler answers)."""

    @functools.wraps(view)  # keeps view_class, methods, ... that Flask and the tests read
    def noted(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except CanopyError as exc:
            g.metrics_refusal = _snake(type(exc).__name__)
            raise

    return noted


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _scrape() -> Response:
    token = current_app.config["CANOPY"].METRICS_TOKEN
    if not token:
        return problem(404, "Not Found", "The requested URL was not found on the server.")
    header = request.headers.get("Authorization", "")
    sent = header[7:].strip() if header.startswith("Bearer ") else ""
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return problem(401, "Unauthorized", "/metrics needs Authorization: Bearer "
                       "<CANOPY_METRICS_TOKEN>.", headers={"WWW-Authenticate": "Bearer"},
                       code="metrics_token_required")
    return Response(metrics.exposition(), content_type=CONTENT_TYPE)
