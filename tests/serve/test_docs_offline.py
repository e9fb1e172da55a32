"""/swagger and /docs render in a real browser (Debian's headless Chromium) with every host but
the API's unreachable and under the pages' own Content-Security-Policy: their scripts come from
the API (api/core/docs_assets.py), not from a CDN. Skipped where Chromium is not installed (.ci/run
installs it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.serve.conftest import Server

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium: `apt-get install chromium` to test the docs pages in a browser")

# Every request but to the API goes to a proxy that is not there (nothing listens on port 9):
# the pages must render from what the API serves, whatever network the machine has.
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", *OFFLINE,
         # Virtual time runs the pages' scripts, and waits for their requests, up to 15 s of
         # page time, then the DOM is read: no sleeping, no guessing when rendering is done.
         "--virtual-time-budget=15000")
OPERATIONS = ("/v1/me/balls", "/v1/me/balls/{ball_id}/collect", "/v1/partner/events",
              "/v1/public/stats")
CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(.*)\", source: ")
# /swagger is asked for another document in its address: Swagger UI must ignore that (no
# ?url= configuration) and show this API's own.
ADDRESSES = {"/swagger": "/swagger?url=http://127.0.0.1:9/other.json", "/docs": "/docs"}
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60, cwd=tmp)


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("docs"), WEB_CONCURRENCY="1")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def rendered(docs_server, tmp_path_factory):
    """Each page's DOM once rendered, what its console said (CSP refusals included), and its
    screenshot (in a temporary folder: pictures stay out of the repository)."""
    pages = {}
    for path, address in ADDRESSES.items():
        tmp = tmp_path_factory.mktemp("chromium")
        shot = tmp / f"{path.strip('/')}.png"
        run = chromium(tmp, "--dump-dom", f"--screenshot={shot}", "--window-size=1280,900",
                       f"http://127.0.0.1:{docs_server.port}{address}")
        assert run.returncode == 0, run.stderr[-2000:]
        pages[path] = (run.stdout, CONSOLE.findall(run.stderr), shot)
    return pages


def refusals(console: list[str]) -> list[str]:
    return [line for line in console if "Content Security Policy" in line]


def test_swagger_ui_shows_the_api_title_and_its_operations_offline(rendered):
    dom, _, _ = rendered["/swagger"]
    assert re.search(r'<h1 class="title">Canopy\b', dom), dom[:2000]
    for path in OPERATIONS:
        assert f'data-path="{path}"' in dom, path


def test_redoc_shows_the_api_title_and_its_operations_offline(rendered):
    dom, _, _ = rendered["/docs"]
    assert re.search(r"<h1[^>]*>Canopy\b", dom), dom[:2000]
    for path in OPERATIONS:
        assert f">{path}<" in dom.replace("&#123;", "{").replace("&#125;", "}"), path


def test_the_swagger_page_runs_without_its_csp_refusing_anything(rendered):
    _, console, _ = rendered["/swagger"]
    assert refusals(console) == []


def test_the_redoc_page_is_refused_only_redoclys_logo_from_its_cdn(rendered):
    # ReDoc always tries to show Redocly's logo from Redocly's CDN (and hides it when it fails):
    # the CSP keeps the page from calling out. Scripts, styles and its search worker all pass.
    _, console, _ = rendered["/docs"]
    refused = refusals(console)
    assert refused and all(REDOCLY_LOGO in line for line in refused), refused


def test_both_pages_draw_something_worth_a_screenshot(rendered):
    for path, (_, _, shot) in rendered.items():
        png = shot.read_bytes()
        # A blank page compresses to a few kilobytes; these are text, tables and colours.
        assert png.startswith(b"\x89PNG") and len(png) > 20_000, (path, len(png))
