"""Helpers the benchmark scripts share: a fresh bench database, a free port, the server.

The scripts run as `.venv/bin/python bench/x.py`, so bench/ is sys.path[0] and they
`import common`; the repository root is put on sys.path here as in the scripts.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from db.migrate import upgrade  # noqa: E402

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def fresh_database(name: str) -> str:
    """Drop and create the database `name` on SERVER, migrate it; its url."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{SERVER}/{name}"
    upgrade(url)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int, threads: int | None = None, *,
                 log_path: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """The server `make run` starts (`python -m api.server.supervisor`, without the scheduler) on
    127.0.0.1:port against `url`, once GET /healthz answers 200. SIGTERM stops it and its
    workers."""
    # No access log: the server's figures, not its log's (gunicorn's bench ran without one too).
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port), WEB_CONCURRENCY=str(workers),
               CANOPY_ACCESS_LOG="off", **(extra_env or {}))
    if threads:
        env["CANOPY_WEB_THREADS"] = str(threads)
    log = open(log_path, "w")  # noqa: SIM115 (the server writes to it until it stops)
    proc = subprocess.Popen([sys.executable, "-m", "api.server.supervisor", "--no-scheduler"],
                            cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the server did not start; see {log_path}")
