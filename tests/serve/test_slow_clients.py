"""Slow clients cannot starve the server: waitress reads requests whole before a thread runs them,
and cuts a request whose headers or body take too long."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import threading
import time

from tests.serve.conftest import children, get

SLOW_CLIENTS = 20


class Tricklers:
    """`count` connections, each sending one more piece of a request every 0.5-2 s."""

    def __init__(self, port: int, count: int, first: bytes, piece) -> None:
        self.socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        for sock in self.socks:
            sock.sendall(first)
        self.piece, self.done = piece, threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        rng, n = random.Random(7), 0
        while not self.done.wait(rng.uniform(0.5, 2.0) / len(self.socks)):
            n += 1
            sock = self.socks[n % len(self.socks)]
            with contextlib.suppress(OSError):
                sock.sendall(self.piece(n))

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        for sock in self.socks:
            sock.close()


def healthz_answers_within_a_second(port: int, times: int) -> None:
    for _ in range(times):
        started = time.monotonic()
        assert get(port, "/healthz", timeout=1.0).status == 200
        assert time.monotonic() - started < 1.0
        time.sleep(0.4)


def test_healthz_answers_within_a_second_while_20_clients_trickle_their_headers(server):
    slow = Tricklers(server.port, SLOW_CLIENTS, b"GET /v1/public/stats HTTP/1.1\r\n",
                     lambda n: f"X-Slow-{n}: still here\r\n".encode())
    try:
        time.sleep(1)  # every slow client has sent a line or more by now
        healthz_answers_within_a_second(server.port, 6)
    finally:
        slow.close()


def test_healthz_answers_within_a_second_while_clients_send_a_body_a_byte_a_second(server):
    # More slow bodies than the server has threads (2 processes x 4): none may hold one.
    head = (b"POST /v1/partner/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n[")
    slow = Tricklers(server.port, SLOW_CLIENTS, head, lambda n: b" ")
    try:
        time.sleep(1)
        healthz_answers_within_a_second(server.port, 6)
    finally:
        slow.close()


def _problem_for(port: int, raw: bytes) -> tuple[str, dict]:
    """The server's answer to `raw`. Refusing a request it has not read to the end, the server
    closes with bytes unread, which resets the connection and may discard the answer before the
    client reads it: a few tries."""
    for _ in range(5):
        answer = b""
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.sendall(raw)
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass
        head, _, body = answer.partition(b"\r\n\r\n")
        if body:
            assert b"content-type: application/problem+json" in head.lower(), head
            return head.split(b"\r\n")[0].decode(), json.loads(body)
    raise AssertionError("no answer in 5 tries")


def test_a_malformed_request_line_is_a_400_problem_not_a_text_page(server):
    status_line, body = _problem_for(server.port, b"GARBAGE\r\n\r\n")
    assert " 400 " in status_line and body["status"] == 400 and body["detail"]
    assert body["code"] == "malformed_request"
    assert len(body["request_id"]) == 32  # quoted in a report, found in the worker's log


def test_headers_too_large_are_a_431_problem(server):
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 66_000 + b"\r\n\r\n"
    status_line, body = _problem_for(server.port, big)
    assert " 431 " in status_line and body["status"] == 431
    assert body["code"] == "request_header_fields_too_large"


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_request_whose_headers_take_too_long_is_cut(impatient_server):
    with socket.create_connection(("127.0.0.1", impatient_server.port)) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        for _ in range(3):  # active all along: waitress's idle timeout alone would not cut it
            time.sleep(0.5)
            sock.sendall(b"X-Slow: 1\r\n")
        assert _closed_within(sock, 4)
        assert 2 <= time.monotonic() - started < 5.5


def test_a_request_whose_body_takes_too_long_is_cut(impatient_server):
    with socket.create_connection(("127.0.0.1", impatient_server.port)) as sock:
        sock.sendall(b"POST /v1/partner/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        sock.sendall(b"[")
        assert not _closed_within(sock, 1)  # within its deadline: still open
        assert _closed_within(sock, 4)


def test_a_request_that_arrives_in_time_is_answered(impatient_server):
    assert get(impatient_server.port, "/healthz").status == 200


def test_a_worker_that_dies_is_replaced(server):
    before = children(server.proc.pid)
    assert len(before) == 2
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.time() + 8
    while time.time() < deadline:
        now = children(server.proc.pid)
        if victim not in now and len(now) == 2:
            break
        time.sleep(0.2)
    assert victim not in now and len(now) == 2, server.output()
    for _ in range(4):  # both processes accept again
        assert get(server.port, "/healthz").status == 200


def _access_lines(output: str, path: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("path") == path]


def test_each_request_is_logged_once_as_json_with_its_status_and_id(server):
    resp = get(server.port, "/v1/nowhere-logged")
    assert resp.status == 404
    deadline = time.time() + 3
    while not _access_lines(server.output(), "/v1/nowhere-logged") and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)  # a second line, if any, would be written right after the first
    (line,) = _access_lines(server.output(), "/v1/nowhere-logged")
    assert (line["event"], line["method"], line["status"]) == ("request", "GET", 404)
    assert line["request_id"] == resp.getheader("X-Request-ID")
