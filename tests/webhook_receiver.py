"""A real HTTP receiver on 127.0.0.1 for webhook tests: it answers 204, fails with 500, hangs
past the deliverer's read timeout, or is down (its port closed), as the test says."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """`mode`: ok | fail | slow. `received` holds (path, headers, body) of each request it
    answered 2xx; `hits` counts every request that reached it."""

    def __init__(self, slow_s: float = 2.0) -> None:
        self.mode = "ok"
        self.slow_s = slow_s
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.hits = 0
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.hits += 1
                    mode = receiver.mode
                if mode == "slow":
                    time.sleep(receiver.slow_s)
                if mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: nothing listens on the port (connections are refused) until start()."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def event_ids(self, path: str | None = None) -> list[str]:
        return [h["Canopy-Event-Id"] for p, h, _ in self.received if path in (None, p)]
