"""The real server (`python -m api.server.supervisor --no-scheduler`) as a subprocess on a free port, on a
migrated SQLite database of its own, stopped (and its workers with it) after the module."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90  # a bound, not a timing: a loaded machine starts a worker slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 1.0) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(p) for p in f.read().split()}


class Server:
    def __init__(self, tmp: Path, **env: str) -> None:
        url = f"sqlite:///{tmp / 'serve.db'}"
        upgrade(url)
        self.port = free_port()
        self.log = open(tmp / "serve.log", "w+")  # noqa: SIM115 (the server writes until stopped)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.server.supervisor", "--no-scheduler"], cwd=ROOT,
            env=dict(os.environ, DATABASE_URL=url, PORT=str(self.port), **env),
            stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            try:
                if get(self.port, "/healthz").status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        output = self.output()
        self.stop()
        pytest.fail(f"the server did not answer within {START_TIMEOUT_S} s: {output}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        workers = children(self.proc.pid) if self.proc.poll() is None else set()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pid in workers:  # only if the supervisor failed to stop them
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("serve"), WEB_CONCURRENCY="2", CANOPY_WEB_THREADS="4")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory):
    """One worker that gives a request 2 s for its headers and 2 s for its body."""
    srv = Server(tmp_path_factory.mktemp("impatient"), WEB_CONCURRENCY="1",
                 CANOPY_HEADER_TIMEOUT_S="2", CANOPY_BODY_TIMEOUT_S="2")
    yield srv
    srv.stop()
