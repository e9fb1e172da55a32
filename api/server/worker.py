"""One API worker process: waitress on a listening socket inherited from `api.server.supervisor`.

    python -m api.server.worker FD

Why waitress: its I/O thread reads each request whole (headers and body) before a worker thread
sees it, so a client that sends slowly holds only a socket, never a thread; the threads run the
app only for requests that have fully arrived. Here a request also has a deadline: headers within
HEADER_TIMEOUT_S of its first byte, the body within BODY_TIMEOUT_S, else the connection is cut.
Errors waitress answers itself (a malformed request line, headers too large) are problem+json.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import time
import uuid

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import Error

from api.core.problems import type_uri
from config import Config
from db import applog

log = applog.get_logger("canopy.access")
events = applog.get_logger("canopy.server")

# Above Flask's MAX_CONTENT_LENGTH (16 MiB), so that the app, not waitress, refuses big bodies
# with its own problem; this bounds what waitress buffers (to a temp file past 512 KiB).
MAX_BODY_BYTES = 17 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
# waitress refuses with 400 (request line, Content-Length, chunking), 413 (body over
# MAX_BODY_BYTES) or 431 (headers over MAX_HEADER_BYTES): the codes api/core/errors.py gives them.
CODE_BY_STATUS = {400: "malformed_request", 413: "body_too_large",
                  431: "request_header_fields_too_large"}


class ProblemErrorTask(ErrorTask):
    """waitress's own refusals as RFC 9457 problem+json instead of text/plain, with a request
    id (in the body, the header and one log line) like every answer of the app."""

    def execute(self):
        # types-waitress calls the task's request an Error; it is the parser holding one.
        error: Error = self.request.error  # type: ignore[attr-defined]
        request_id = uuid.uuid4().hex
        code = CODE_BY_STATUS.get(error.code, "malformed_request")
        body = json.dumps({"type": type_uri(code), "status": error.code, "title": error.reason,
                           "detail": str(error.body), "code": code,
                           "request_id": request_id}).encode()
        log.info("request refused by the server", status=error.code, request_id=request_id,
                 remote_addr=(self.channel.addr or ["-"])[0])
        self.status = f"{error.code} {error.reason}"
        # types-waitress calls response_headers a Sequence; it is the task's list.
        headers: list[tuple[str, str]] = self.response_headers  # type: ignore[assignment]
        headers.extend([("Content-Type", "application/problem+json"),
                        ("X-Content-Type-Options", "nosniff"),
                        ("X-Request-ID", request_id)])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class DeadlineChannel(HTTPChannel):
    """A connection that remembers when the request it is reading began to arrive, and whose
    I/O thread does not spin while a task writes its answer."""

    error_task_class = ProblemErrorTask
    request_started: float | None = None

    def writable(self):
        """waitress's channel is writable whenever its output buffer holds bytes. While a task
        runs, the task itself sends what it writes (write_soon flushes at once, send_bytes = 1),
        so bytes seen there are usually being sent by the task at that moment, under the
        buffer's lock: the I/O thread then found the socket writable, failed to take the lock,
        and polled again, 7 to 38 times a request (measured), taking the GIL from the task
        each time (under 4 clients a /livez p99 of 20-54 ms instead of 12). So while a task
        runs, the I/O thread waits for the task's wake-up (write_soon pulls the trigger when
        bytes are left, service() when it ends) unless a socket buffer's worth or more is
        queued: a slow reader's backlog, which the task may be waiting on (above the high
        watermark) and only the I/O thread drains. Closing stays writable as before."""
        if (self.requests and not self.will_close and not self.close_when_flushed
                and self.total_outbufs_len < self.sendbuf_len):
            return False
        return super().writable()

    def received(self, data):
        result = super().received(data)
        if self.request is None:
            self.request_started = None  # nothing half-read: the deadline is off
        elif self.request_started is None:
            self.request_started = time.time()
        return result


class DeadlineServer(TcpWSGIServer):
    channel_class = DeadlineChannel

    def __init__(self, *args, header_timeout: float, body_timeout: float, **kwargs):
        self.header_timeout, self.body_timeout = header_timeout, body_timeout
        super().__init__(*args, **kwargs)

    def maintenance(self, now):
        """waitress closes idle connections; this also closes those too slow to send one."""
        super().maintenance(now)
        for channel in _channels(self):
            started, request = channel.request_started, channel.request
            if started is None or request is None:
                continue
            limit = self.body_timeout if request.headers_finished else self.header_timeout
            if now - started > limit:
                channel.will_close = True


def build_server(app, sock: socket.socket, config) -> DeadlineServer:
    adj = Adjustments(
        sockets=[sock], threads=config.WEB_THREADS, connection_limit=config.WEB_CONNECTIONS,
        channel_timeout=config.IDLE_TIMEOUT_S, cleanup_interval=1, asyncore_use_poll=True,
        max_request_header_size=MAX_HEADER_BYTES, max_request_body_size=MAX_BODY_BYTES,
        ident="canopy")
    sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
    return DeadlineServer(app, {}, True, sock, adj=adj, bind_socket=False, sockinfo=sockinfo,
                          header_timeout=config.HEADER_TIMEOUT_S,
                          body_timeout=config.BODY_TIMEOUT_S)


def settle_heap() -> None:
    """Move what the app built at import (about 180,000 objects) out of the garbage
    collector's sight: a full collection that walked them paused a request for about 90 ms
    whenever it came; after gc.freeze() it walks only what was allocated since (well under a
    millisecond). The startup garbage is collected first, so that none of it is kept."""
    gc.collect()
    gc.freeze()


def serve(fd: int) -> None:
    settings = Config()
    settings.check()  # a bad CANOPY_LOG_LEVEL is said as such, not as a ValueError
    applog.configure(settings.LOG_LEVEL, settings.LOG_FORMAT)  # before the app logs anything
    from wsgi import app  # imported in this process: each worker its own engine and pool

    config = app.config["CANOPY"]
    sock = socket.socket(fileno=fd)
    # The access lines come from the app (api/core/request_log.py), with the request id and caller.
    server = build_server(app, sock, config)
    settle_heap()
    parent, stop_at = os.getppid(), []
    # On SIGTERM: accept nothing new, answer what was read, for at most the graceful timeout.
    signal.signal(signal.SIGTERM,
                  lambda *_: stop_at.append(time.time() + settings.GRACEFUL_TIMEOUT_S))
    try:
        # In steps of a second: a worker whose supervisor died does not linger, and a stopping
        # worker accepts nothing new but answers what it has already read.
        while os.getppid() == parent:
            if stop_at:
                if server.accepting:
                    server.accepting = False
                    events.info("worker draining", pid=os.getpid())
                if not _busy(server) or time.time() > stop_at[0]:
                    events.info("worker stopped", pid=os.getpid(), drained=not _busy(server))
                    break
            # _map: the dispatcher's socket map, private, as waitress's own run() passes it.
            socket_map = server._map  # type: ignore[attr-defined]  # not in types-waitress
            server.asyncore.loop(timeout=1, map=socket_map, use_poll=True, count=1)
    except KeyboardInterrupt:
        pass
    finally:
        server.task_dispatcher.shutdown()


def _busy(server: DeadlineServer) -> bool:
    return any(channel.requests or channel.total_outbufs_len
               for channel in _channels(server))


def _channels(server: TcpWSGIServer) -> list[DeadlineChannel]:
    # types-waitress calls active_channels an HTTPChannel; it is a dict of ours by fd.
    channels: dict[int, DeadlineChannel] = server.active_channels  # type: ignore[assignment]
    return list(channels.values())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
