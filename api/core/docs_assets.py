"""The documentation pages' scripts and styles, served by the API itself: /docs and /swagger work
with no network beyond the API (no CDN), load the exact versions tested here, and run under a CSP
that allows scripts from this origin only.

Both are vendored, unchanged, from their npm packages into api/core/docs_static/<name>-<version>/
with their licences: Swagger UI (swagger-ui-dist, Apache-2.0) and ReDoc (redoc, MIT). No Python
package ships current ones without a framework attached (swagger-ui-bundle holds Swagger UI
4.15.5 of 2022, with a DOMPurify that has known bypasses). Versions are part of the URLs, so a
browser may keep the files for a year; docs-notes/docs.md says how to upgrade them."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template_string, send_from_directory

PREFIX = "/docs-assets"
SWAGGER_UI_VERSION = "5.35.0"
REDOC_VERSION = "2.5.4"
SWAGGER_UI_URL = f"{PREFIX}/swagger-ui-{SWAGGER_UI_VERSION}/"
REDOC_URL = f"{PREFIX}/redoc-{REDOC_VERSION}/redoc.standalone.js"
SWAGGER_INIT_URL = f"{PREFIX}/swagger-init.js"

STATIC = Path(__file__).parent / "docs_static"
YEAR_S = 365 * 24 * 3600
# Only the files the pages load and the licences; each folder is served from this list alone.
SWAGGER_FILES = frozenset({
    "swagger-ui.css", "swagger-ui-bundle.js", "favicon-16x16.png", "favicon-32x32.png",
    "LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt",
})
REDOC_FILES = frozenset({"redoc.standalone.js", "redoc.standalone.js.LICENSE.txt", "LICENSE"})
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".txt": "text/plain",
         "": "text/plain"}

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
    return _send(STATIC / f"swagger-ui-{SWAGGER_UI_VERSION}", name)


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
