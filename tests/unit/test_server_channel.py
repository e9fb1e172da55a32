"""The worker's channel (api/server/worker.py DeadlineChannel): its I/O thread waits for the
task's wake-up instead of spinning while the task writes, yet still drains a slow reader's
backlog, so a large answer is never stuck and a streamed one is not held back.

The server runs in this process: build_server on a loopback socket, its loop in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from api.server import worker
from config import Config


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class Running:
    """build_server(app) serving on 127.0.0.1 from a thread, its loop counted."""

    def __init__(self, app: Callable) -> None:
        self.sock = _listening()
        self.port = self.sock.getsockname()[1]
        self.server = worker.build_server(app, self.sock, Config())
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        socket_map = self.server._map  # as worker.serve passes it
        while not self._stop.is_set():
            self.server.asyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)
            self.polls += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.task_dispatcher.shutdown()
        self.server.close()


@pytest.fixture
def serve():
    running: list[Running] = []

    def start(app: Callable) -> Running:
        running.append(Running(app))
        return running[-1]

    yield start
    for r in running:
        r.close()


def _request(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return conn


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(1 << 16):
        data += chunk
    return data


def test_writable_only_for_a_backlog_or_a_close_while_a_task_runs():
    a, b = socket.socketpair()
    try:
        config = Config()
        server = worker.build_server(lambda e, s: [], _listening(), config)
        channel = worker.DeadlineChannel(server, a, ("127.0.0.1", 1), server.adj,
                                         map={})
        assert not channel.writable()  # nothing to send
        channel.total_outbufs_len = 10
        assert channel.writable()  # no task: the I/O thread sends what is left
        channel.requests = [object()]  # a task runs and sends its own writes
        assert not channel.writable()
        channel.total_outbufs_len = channel.sendbuf_len  # a slow reader's backlog
        assert channel.writable()
        channel.total_outbufs_len = 10
        channel.close_when_flushed = True
        assert channel.writable()
        channel.close_when_flushed, channel.will_close = False, True
        assert channel.writable()
        server.task_dispatcher.shutdown()
        server.close()
    finally:
        a.close()
        b.close()


def test_a_large_answer_reaches_a_reader_who_starts_late(serve):
    """24 MiB written by a task in 64 KiB pieces, past the 16 MiB high watermark at which the
    task waits for the I/O thread to drain: only the I/O thread can, so it must see the
    backlog while the task runs."""
    piece = b"x" * 65536

    def app(environ, start_response) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", str(len(piece) * 384))])
        for _ in range(384):
            yield piece

    running = serve(app)
    conn = _request(running.port)
    time.sleep(1.0)  # the kernel's buffers fill, the rest queues in the channel
    started = time.monotonic()
    body = _read_all(conn).split(b"\r\n\r\n", 1)[1]
    conn.close()
    assert len(body) == len(piece) * 384
    assert time.monotonic() - started < 20


def test_a_streamed_first_piece_is_not_held_back_while_the_task_goes_on(serve):
    gate = threading.Event()

    def app(environ, start_response) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first"
        gate.wait(10)  # the task is still running when the client reads
        yield b"second"

    running = serve(app)
    conn = _request(running.port)
    conn.settimeout(5)
    head = b""
    while b"first" not in head:
        head += conn.recv(4096)
    gate.set()
    rest = _read_all(conn)
    conn.close()
    assert b"second" in head + rest


def test_the_io_thread_polls_a_few_times_a_request_under_concurrent_clients(serve):
    """Four clients at once, a small answer each: waitress's own channel polled again and
    again while a task held its buffer's lock to send (16 to 38 polls a request measured on
    a 2-core machine, each taking the GIL from the task); this one about 2.5 (accept, read,
    the task's wake-up, close), plus the loop's idle timeouts (50 ms here)."""

    def app(environ, start_response) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", "16")])
        return [b'{"status":"ok"}\n']

    running = serve(app)
    errors: list[BaseException] = []

    def client() -> None:
        try:
            for _ in range(150):
                conn = _request(running.port)
                assert _read_all(conn).endswith(b'{"status":"ok"}\n')
                conn.close()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(4)]
    before, started = running.polls, time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    polls, idle = running.polls - before, (time.monotonic() - started) / 0.05
    assert not errors, errors[0]
    assert polls - idle < 8 * 600, (polls, idle)
