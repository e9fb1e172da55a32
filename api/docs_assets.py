"""The documentation pages' scripts and styles, served by the API itself: /docs and /swagger work
with no network beyond the API (no CDN), load the exact versions tested here, and run under a CSP
that allows scripts from this origin only.

Swagger UI comes from the pinned `swagger-ui-bundle` package (Apache-2.0); ReDoc, which no Python
package ships without a framework attached, is vendored in api/docs_static/redoc-<version>/ with
its MIT licence. Versions are part of the URLs, so a browser may keep the files for a year."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template_string, send_from_directory
from swagger_ui_bundle import swagger_ui_path

PREFIX = "/docs-assets"
SWAGGER_UI_VERSION = "4.15.5"  # the one swagger-ui-bundle==1.1.0 ships (pyproject.toml)
REDOC_VERSION = "2.5.4"
SWAGGER_UI_URL = f"{PREFIX}/swagger-ui-{SWAGGER_UI_VERSION}/"
REDOC_URL = f"{PREFIX}/redoc-{REDOC_VERSION}/redoc.standalone.js"
SWAGGER_INIT_URL = f"{PREFIX}/swagger-init.js"

STATIC = Path(__file__).parent / "docs_static"
YEAR_S = 365 * 24 * 3600
# Only what the pages load (and their source maps): the package also holds an index.html and a
# Jinja template that are not ours to serve.
SWAGGER_FILES = frozenset({
    "swagger-ui.css", "swagger-ui.css.map", "swagger-ui-bundle.js", "swagger-ui-bundle.js.map",
    "swagger-ui-standalone-preset.js", "swagger-ui-standalone-preset.js.map",
    "favicon-16x16.png", "favicon-32x32.png",
})
REDOC_FILES = frozenset({"redoc.standalone.js", "redoc.standalone.js.LICENSE.txt", "LICENSE"})
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
         ".map": "application/json", ".txt": "text/plain", "": "text/plain"}

# flask-smorest's own Swagger UI page starts the UI with an inline script, which would force
# 'unsafe-inline' into the CSP; this one reads its settings from data- attributes instead.
SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ title }}</title>
  <link rel="icon" type="image/png" href="{{ ui }}favicon-32x32.png">
  <link rel="stylesheet" type="text/css" href="{{ ui }}swagger-ui.css">
</head>
<body>
  <div id="swagger-ui-container" data-spec-url="{{ spec_url }}"></div>
  <script src="{{ ui }}swagger-ui-bundle.js"></script>
  <script src="{{ ui }}swagger-ui-standalone-preset.js"></script>
  <script src="{{ init }}"></script>
</body>
</html>
"""

bp = Blueprint("docs_assets", __name__, url_prefix=PREFIX)


def _send(directory: Path, name: str):
    resp = send_from_directory(directory, name, max_age=YEAR_S,
                               mimetype=TYPES[Path(name).suffix])
    resp.cache_control.public = True
    resp.cache_control.immutable = True
    return resp


@bp.get(f"/swagger-ui-{SWAGGER_UI_VERSION}/<name>")
def swagger_ui(name: str):
    if name not in SWAGGER_FILES:
        abort(404)
    return _send(Path(swagger_ui_path), name)


@bp.get(f"/redoc-{REDOC_VERSION}/<name>")
def redoc(name: str):
    if name not in REDOC_FILES:
        abort(404)
    return _send(STATIC / f"redoc-{REDOC_VERSION}", name)


@bp.get("/swagger-init.js")
def swagger_init():
    # Unversioned (it changes with the code, not with Swagger UI): revalidated, not kept a year.
    resp = send_from_directory(STATIC, "swagger-init.js", mimetype=TYPES[".js"], max_age=0)
    resp.cache_control.no_cache = True
    return resp


def swagger_page():
    return render_template_string(
        SWAGGER_PAGE, title=current_app.config["API_TITLE"], ui=SWAGGER_UI_URL,
        init=SWAGGER_INIT_URL, spec_url="/" + current_app.config["OPENAPI_JSON_PATH"])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.view_functions["api-docs.openapi_swagger_ui"] = swagger_page
