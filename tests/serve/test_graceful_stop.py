"""SIGTERM drains the real server: a request already read is answered, then everything exits."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import threading
import time

from api.core.auth import make_token
from tests.serve.conftest import Server, children

SECRET = "graceful-stop-secret-of-32-bytes!!"


def _get_me(port: int, token: str, answers: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        answers.append((resp.status, resp.read()))
    except OSError as exc:
        answers.append((None, repr(exc)))
    finally:
        conn.close()


def test_sigterm_answers_the_request_in_progress_before_the_server_exits(tmp_path):
    srv = Server(tmp_path, WEB_CONCURRENCY="1", CANOPY_JWT_SECRET=SECRET,
                 CANOPY_LOG_FORMAT="json")
    workers = children(srv.proc.pid)
    # The test holds SQLite's write lock: the user's first request, which creates the user,
    # waits for it inside the server, as a slow request would.
    lock = sqlite3.connect(tmp_path / "serve.db", isolation_level=None, timeout=30)
    lock.execute("BEGIN IMMEDIATE")
    answers: list = []
    client = threading.Thread(target=_get_me, args=(srv.port, make_token(SECRET, "drained"),
                                                    answers))
    try:
        client.start()
        time.sleep(1.5)  # the request is read and waiting for the lock
        assert answers == []
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(2)  # the server is draining: it has not dropped the request
        assert srv.proc.poll() is None and answers == []
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    client.join(timeout=30)
    assert answers and answers[0][0] == 200, (answers, srv.output())
    assert json.loads(answers[0][1])["user_id"] == "drained"
    assert srv.proc.wait(timeout=60) == 0, srv.output()  # a bound: the machine may be loaded
    assert not [pid for pid in workers if _alive(pid)]
    events = [json.loads(line)["event"] for line in srv.output().splitlines()
              if line.startswith("{")]
    assert "shutting down: workers finish what they have read" in events
    assert events[-1] == "server stopped"
    srv.stop()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False
