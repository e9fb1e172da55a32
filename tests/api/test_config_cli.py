"""`flask config` shows the effective settings with the secrets masked; the server and the
scheduler refuse a bad configuration with one line per problem and exit status 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


def test_flask_config_prints_the_settings_with_secrets_and_passwords_masked(app):
    settings = app.config["CANOPY"]
    settings.DATABASE_URL = "postgresql://canopy:hunter2@db.internal:5432/canopy"
    settings.REDIS_URL = "redis://:hunter3@127.0.0.1:6379/0"
    result = app.test_cli_runner().invoke(args=["config"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "DATABASE_URL = postgresql://canopy:****@db.internal:5432/canopy" in lines
    assert "REDIS_URL = redis://:****@127.0.0.1:6379/0" in lines
    assert "JWT_SECRET = ****" in lines and "SETTLE_REQUEST_POLL_SECONDS = 5" in lines
    assert "hunter" not in result.output and settings.JWT_SECRET not in result.output


def _refused_start(*command: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANOPY_")}
    env.update(CANOPY_ENV="production", CANOPY_JWT_SECRET="short", CANOPY_SETTLE_WORKRES="2",
               DATABASE_URL="sqlite:////nonexistent/canopy.db", FLASK_APP="wsgi:app", PORT="0")
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [(sys.executable, "-m", "api.server.supervisor"),
                                     (FLASK, "scheduler", "--once"),
                                     (sys.executable, "-c", "import wsgi")])
def test_a_bad_production_configuration_stops_the_start_one_line_per_problem(command):
    done = _refused_start(*command)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "Canopy cannot start (production): CANOPY_JWT_SECRET must be at least 32 bytes long.",
        "Canopy cannot start (production): DATABASE_URL points at SQLite: production runs on "
        "PostgreSQL (postgresql://...).",
        "Canopy cannot start (production): CANOPY_SETTLE_WORKRES is not a Canopy setting (a "
        "misspelt name, or one no longer read): correct or remove it."]
