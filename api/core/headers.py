"""Security headers on every response: no MIME sniffing anywhere, nothing personal kept in a
cache, and the documentation pages locked to the scripts they need and out of frames."""

from __future__ import annotations

from flask import Flask, Response, request

# Both pages load their scripts and styles from this origin (api/core/docs_assets.py), never a CDN,
# and no site may frame them. Swagger UI needs nothing inline (its starter is a file). ReDoc
# injects its styles as <style> elements (styled-components) and builds its search index in a
# blob: worker, so its page must allow inline styles and blob: workers; still no inline script.
_DOCS_COMMON = (
    "default-src 'none'",
    "script-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
)
DOCS_CSP = {
    "/swagger": "; ".join((*_DOCS_COMMON, "style-src 'self'")),
    "/docs": "; ".join((*_DOCS_COMMON, "style-src 'self' 'unsafe-inline'", "worker-src blob:")),
}


def _private(path: str) -> bool:
    """User, partner and admin answers: everything under /v1 but the public figures, and any
    request that carried credentials."""
    if path.startswith("/v1/") and not path.startswith("/v1/public/"):
        return True
    return "Authorization" in request.headers or "X-Partner-Key" in request.headers


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    path = request.path
    if _private(path):
        response.headers["Cache-Control"] = "no-store"
    csp = DOCS_CSP.get(path.rstrip("/"))
    if csp:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Frame-Options"] = "DENY"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
