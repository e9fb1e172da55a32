"""Sending one webhook: a POST with the standard library's http.client, bounded in time.

http.client rather than a client library: one POST, no redirects, no connection reuse across
endpoints, and two timeouts — connecting, then each read — which is all a deliverer needs."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ANSWER_BYTES = 4096  # read and thrown away: a receiver only needs to answer 2xx
USER_AGENT = "Canopy-Webhooks/1"


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None  # why it failed, for the delivery's last_error


def post(url: str, body: bytes, headers: dict[str, str], connect_timeout_s: float,
         read_timeout_s: float) -> SendResult:
    """POST `body` to `url`; ok on any 2xx. A redirect is a failure (the endpoint is wrong)."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname or "", parts.port, timeout=connect_timeout_s)
    try:
        conn.connect()
        conn.sock.settimeout(read_timeout_s)  # from here on, each read waits this long
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", target, body=body, headers={
            **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        answer = conn.getresponse()
        answer.read(MAX_ANSWER_BYTES)
        if 200 <= answer.status < 300:
            return SendResult(True, answer.status)
        return SendResult(False, answer.status, f"HTTP {answer.status}")
    except TimeoutError:
        return SendResult(False, None, "timed out")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return SendResult(False, None, f"{type(exc).__name__}: {exc}"[:255])
    finally:
        conn.close()
