"""Security headers on every response: no MIME sniffing anywhere, nothing personal kept in a
cache, and the documentation pages locked to the scripts they need and out of frames."""

from __future__ import annotations

from flask import Flask, Response, request

DOCS_PATHS = ("/docs", "/swagger")
# ReDoc and Swagger UI load from jsDelivr (config OPENAPI_REDOC_URL, OPENAPI_SWAGGER_UI_URL);
# Swagger UI's page starts it with an inline script, ReDoc styles inline, runs a blob: worker
# and takes its fonts from Google Fonts. Nothing else may load, and no site may frame them.
DOCS_CSP = "; ".join((
    "default-src 'none'",
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
    "font-src https://fonts.gstatic.com data:",
    "img-src 'self' data: https://cdn.jsdelivr.net",
    "connect-src 'self'",
    "worker-src blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
))


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
    if path.rstrip("/") in DOCS_PATHS:
        response.headers["Content-Security-Policy"] = DOCS_CSP
        response.headers["X-Frame-Options"] = "DENY"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
