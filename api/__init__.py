"""Flask application factory."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from api import errors
from api.context import init_db
from api.problem_docs import ProblemResponses
from config import Config

API_TITLE = "Canopy"
API_VERSION = "v1"


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    app = Flask(__name__)
    app.config.update(
        CANOPY=config,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="/docs",
        OPENAPI_REDOC_URL="https://cdn.jsdelivr.net/npm/redoc/bundles/redoc.standalone.js",
        OPENAPI_SWAGGER_UI_PATH="/swagger",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    init_db(app, config)
    api = Api(app, spec_kwargs={"info": {"description": "Personal carbon account, forest and farm."},
                                "extra_plugins": [ProblemResponses()]})
    _security_schemes(api)
    from api.routes import register_blueprints

    register_blueprints(api)
    errors.init_app(app)
    from api.cli import init_cli

    init_cli(app)
    return app


def _security_schemes(api: Api) -> None:
    api.spec.components.security_scheme(
        "user", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.components.security_scheme(
        "partner", {"type": "apiKey", "in": "header", "name": "X-Partner-Key",
                    "description": "With X-Timestamp and X-Signature = hex HMAC-SHA256(secret, "
                    "'{timestamp}\\n{METHOD}\\n{path and query}\\n{sha256 hex of body}')."})
