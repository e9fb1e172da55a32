"""The documentation pages' own assets (api/core/docs_assets.py): served by the API with their types
and a year of caching, nothing else from the packages they come from, and pages that name no
other host. tests/serve/test_docs_offline.py renders the pages in a real browser."""

from __future__ import annotations

import hashlib
import re

from api.core import docs_assets

SWAGGER = docs_assets.SWAGGER_UI_URL
REDOC_DIR = docs_assets.REDOC_URL.rsplit("/", 1)[0] + "/"
YEAR = "max-age=31536000"


def test_swagger_ui_and_redoc_are_served_with_their_types_and_kept_a_year(client):
    for url, kind in ((f"{SWAGGER}swagger-ui-bundle.js", "text/javascript"),
                      (f"{SWAGGER}swagger-ui.css", "text/css"),
                      (docs_assets.REDOC_URL, "text/javascript")):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.mimetype == kind, url
        assert len(resp.data) > 100_000, url  # the real bundle, not a stub
        cache = resp.headers["Cache-Control"]
        assert YEAR in cache and "immutable" in cache and "public" in cache, url
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_the_licences_are_served_beside_the_files(client):
    redoc = client.get(f"{REDOC_DIR}LICENSE")
    assert redoc.status_code == 200 and b"MIT License" in redoc.data
    swagger = client.get(f"{SWAGGER}LICENSE")
    assert swagger.status_code == 200 and b"Apache License" in swagger.data
    assert client.get(f"{SWAGGER}NOTICE").mimetype == "text/plain"


def test_the_vendored_files_are_the_published_ones_unchanged():
    # api/core/docs_static/SHA256SUMS was written from the npm packages' files (docs-notes/docs.md);
    # an edited or truncated copy, or a file the list forgets, fails here.
    sums = (docs_assets.STATIC / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in sums:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    on_disk = {f"{d.name}/{f.name}" for d in docs_assets.STATIC.iterdir() if d.is_dir()
               for f in d.iterdir()}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((docs_assets.STATIC / name).read_bytes()).hexdigest() == digest, name
    served = {f"swagger-ui-{docs_assets.SWAGGER_UI_VERSION}/{n}" for n in docs_assets.SWAGGER_FILES}
    served |= {f"redoc-{docs_assets.REDOC_VERSION}/{n}" for n in docs_assets.REDOC_FILES}
    assert served == on_disk  # every file kept is served, none served is missing


def test_the_swagger_starter_is_revalidated_rather_than_kept(client):
    resp = client.get(docs_assets.SWAGGER_INIT_URL)
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert "no-cache" in resp.headers["Cache-Control"] and YEAR not in resp.headers["Cache-Control"]


def test_only_the_files_the_pages_load_are_served(client):
    for url in (f"{SWAGGER}index.html", f"{SWAGGER}index.j2", f"{SWAGGER}swagger-initializer.js",
                f"{SWAGGER}swagger-ui.js", f"{SWAGGER}swagger-ui-bundle.js.map",
                f"{SWAGGER}swagger-ui-standalone-preset.js",
                f"{SWAGGER}..%2F..%2F__init__.py", f"{SWAGGER}%2e%2e", f"{REDOC_DIR}redoc.lib.js",
                f"{REDOC_DIR}..%2F..%2Fdocs_assets.py", "/docs-assets/swagger-ui-4.15.5/swagger-ui.css",
                "/docs-assets/redoc-2.0.0/redoc.standalone.js", "/docs-assets/", "/docs-assets/x"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert resp.mimetype == "application/problem+json", url


def test_the_docs_pages_name_no_other_host_and_every_asset_they_name_is_served(client):
    for page in ("/docs", "/swagger"):
        html = client.get(page).get_data(as_text=True)
        urls = re.findall(r'(?:src|href|spec-url|data-spec-url)="([^"]*)"', html)
        assert len(urls) >= 2, (page, urls)
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), (page, url)
            assert client.get(url).status_code == 200, (page, url)


def test_the_swagger_page_has_no_inline_script(client):
    html = client.get("/swagger").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 2
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts), scripts


def test_the_docs_pages_run_scripts_from_this_origin_only(client):
    for page in ("/docs", "/swagger"):
        csp = client.get(page).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", page
        assert "http" not in csp, page  # no CDN, no font host
    swagger = client.get("/swagger").headers["Content-Security-Policy"]
    assert "style-src 'self';" in swagger + ";" and "unsafe-inline" not in swagger
