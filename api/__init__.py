"""Flask application factory."""

from __future__ import annotations

from flask import Flask, json
from flask_smorest import Api

from api.core import body, docs_assets, errors, headers, limits, outage, request_log
from api.core.context import init_db
from api.core.problem_docs import ProblemResponses
from config import Config

API_TITLE = "Canopy"
API_VERSION = "v1"


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    config.check()  # ConfigError: unsafe in production (default secret, SQLite) or invalid
    app = Flask(__name__)
    app.config.update(
        CANOPY=config,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="/docs",
        OPENAPI_REDOC_URL=docs_assets.REDOC_URL,
        OPENAPI_SWAGGER_UI_PATH="/swagger",
        OPENAPI_SWAGGER_UI_URL=docs_assets.SWAGGER_UI_URL,
        JSON_SORT_KEYS=False,
        # The largest body any route takes; api/core/body.py lowers it per route.
        MAX_CONTENT_LENGTH=config.EVENTS_BODY_MAX_BYTES,
    )
    init_db(app, config)
    api = Api(app, spec_kwargs={"info": {"description": "Personal carbon account, forest and farm."},
                                "extra_plugins": [ProblemResponses()]})
    _security_schemes(api)
    from api.routes import register_blueprints

    register_blueprints(api)
    _serve_openapi_once(app, api)
    docs_assets.init_app(app)  # /docs and /swagger load their scripts from here, not a CDN
    request_log.init_app(app)  # first: its id and access line cover every other hook
    # Imported here: `python -m api.server.supervisor` imports this package before it chooses the metrics
    # directory, and creating the metrics earlier would write their files elsewhere.
    from api.core import metrics

    metrics.init_app(app)  # before the other hooks: a request they refuse is timed too
    errors.init_app(app)
    outage.init_app(app)
    limits.init_app(app)  # before the body is read: a refused request costs nothing more
    body.init_app(app)
    headers.init_app(app)
    from api.cli import init_cli

    init_cli(app)
    return app


def _serve_openapi_once(app: Flask, api: Api) -> None:
    """flask-smorest rebuilds the whole document on every GET /openapi.json (tens of ms of CPU
    that anyone can ask for in a loop); it cannot change once the blueprints are registered,
    so its bytes are built on the first request and kept for the life of the app."""
    built: list[str] = []

    def openapi_json():
        if not built:
            built.append(json.dumps(api.spec.to_dict(), indent=2, sort_keys=False))
        return app.response_class(built[0], mimetype="application/json")

    app.view_functions["api-docs.openapi_json"] = openapi_json


def _security_schemes(api: Api) -> None:
    api.spec.components.security_scheme(
        "user", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.components.security_scheme(
        "partner", {"type": "apiKey", "in": "header", "name": "X-Partner-Key",
                    "description": "With X-Timestamp and X-Signature = hex HMAC-SHA256(secret, "
                    "'{timestamp}\\n{METHOD}\\n{path and query as sent, escapes kept}\\n"
                    "{sha256 hex of body}'). A signature changes state once: sign every "
                    "request, retries included, with a fresh X-Timestamp (else 409 "
                    "replayed_signature)."})
