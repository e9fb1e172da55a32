"""`python -m api.server.supervisor` as a supervisor: clear refusals at start, and everything stopped."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from api.server.supervisor import EARLY_DEATH_S, EARLY_DEATHS_MAX, Supervisor, listening_socket
from tests.serve.conftest import ROOT, Server, children


def _serve(env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.server.supervisor", "--no-scheduler"], cwd=ROOT,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=timeout)


def test_a_port_already_taken_is_said_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve({"PORT": str(port)}, timeout=20)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_workers_that_cannot_start_stop_the_server_instead_of_restarting_forever(caplog):
    sock = listening_socket(0)
    dying = (sys.executable, "-c", "import sys; sys.exit(3)")
    supervisor = Supervisor(sock, 2, scheduler=False, worker=dying)
    supervisor.respawn_pause_s = 0.01
    with caplog.at_level(logging.INFO, logger="canopy.server"):
        # The two first workers' lines are caught too when an earlier test left INFO on.
        caplog.clear()
        try:
            assert supervisor.watch() == 1
        finally:
            supervisor.stop()
            sock.close()
    died = [r for r in caplog.records if r.getMessage() == "worker died; starting another"]
    assert [(r.levelname, r.status) for r in died] == [("WARNING", 3)] * 4
    (gave_up,) = [r for r in caplog.records if r.getMessage() == "workers cannot start; stopping"]
    assert (gave_up.levelname, gave_up.deaths) == ("ERROR", EARLY_DEATHS_MAX)
    assert sum(r.getMessage() == "worker started" for r in caplog.records) == 4  # replacements


def test_a_worker_that_lived_long_enough_resets_the_count_of_early_deaths(caplog):
    sock = listening_socket(0)
    dying = (sys.executable, "-c", "import sys; sys.exit(3)")
    supervisor = Supervisor(sock, 1, scheduler=False, worker=dying)
    supervisor.respawn_pause_s = 0.01
    supervisor.early_deaths = EARLY_DEATHS_MAX - 1
    supervisor.started = [time.monotonic() - EARLY_DEATH_S - 1]  # it ran long enough
    stopper = threading.Timer(15, supervisor.stop)  # a bound, should watch() not return
    stopper.start()
    with caplog.at_level(logging.INFO, logger="canopy.server"):
        try:
            assert supervisor.watch() == 1  # 5 more early deaths: it counted from 0 again
        finally:
            stopper.cancel()
            supervisor.stop()
            sock.close()
    assert caplog.text.count("worker died; starting another") == EARLY_DEATHS_MAX


def test_sigterm_stops_the_supervisor_and_every_worker(tmp_path):
    srv = Server(tmp_path, WEB_CONCURRENCY="2")
    workers = children(srv.proc.pid)
    assert len(workers) == 2
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    deadline = time.time() + 5
    while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]
    srv.stop()


def test_the_address_taken_is_the_host_asked_for(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.2", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve({"PORT": str(port), "CANOPY_HOST": "127.0.0.2",
                       "CANOPY_LOG_FORMAT": "json"}, timeout=20)
    assert done.returncode == 1
    (line,) = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    assert (line["level"], line["address"]) == ("error", f"127.0.0.2:{port}")
    assert line["event"].startswith(f"cannot listen on 127.0.0.2:{port}: ")
