"""Rate limits: per user on user routes, per partner key on partner and admin routes, per client
address on public ones. A refusal is a 429 problem+json (code "rate_limited") with Retry-After.

Each request counts against one bucket, chosen without touching the database: the JWT's `sub`
when the token's signature verifies (HMAC, microseconds), the X-Partner-Key on /v1/partner and
/v1/admin, else the client's address. Counters live in Redis when CANOPY_REDIS_URL is set;
otherwise each server process keeps its own, and a limit is split between the WEB_CONCURRENCY
processes so that the server as a whole still allows about the configured rate.
"""

from __future__ import annotations

import ipaddress
import math
import time
from typing import Any

import jwt
import limits
from flask import Flask, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded

from api.core.errors import problem

EXEMPT_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/metrics"})
PARTNER_PREFIXES = ("/v1/partner/", "/v1/admin/")
KEY_MAX_CHARS = 128  # a key is part of a storage key: a client cannot make it unbounded
# Redis that hangs must not hang requests: past this the storage counts as down and each
# process falls back to counting in memory until Redis answers again.
REDIS_TIMEOUT_S = 0.25


def _redis_options() -> dict[str, Any]:
    # Handed to redis-py, which takes float seconds; flask-limiter annotates the options as
    # str | int only, too narrow for a timeout under a second.
    return {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}


class Buckets:
    """Which bucket a request counts against, and that bucket's limit."""

    def __init__(self, config, per_process: int) -> None:
        self.secret = config.JWT_SECRET
        self.configured = {"user": config.RATE_LIMIT_USER, "partner": config.RATE_LIMIT_PARTNER,
                           "public": config.RATE_LIMIT_PUBLIC}
        self.limits = {kind: _share(value, per_process) for kind, value in self.configured.items()}
        self.proxies = [ipaddress.ip_network(p.strip(), strict=False)
                        for p in config.TRUSTED_PROXIES.split(",") if p.strip()]

    def kind_and_key(self) -> tuple[str, str]:
        if "canopy_bucket" not in g:
            g.canopy_bucket = self._classify()
        return g.canopy_bucket

    def _classify(self) -> tuple[str, str]:
        partner_key = request.headers.get("X-Partner-Key", "")
        if partner_key and request.path.startswith(PARTNER_PREFIXES):
            return "partner", "partner:" + partner_key[:KEY_MAX_CHARS]
        sub = self._verified_sub()
        if sub:
            return "user", "user:" + sub[:KEY_MAX_CHARS]
        return "public", "addr:" + self.client_address()

    def _verified_sub(self) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(header[7:].strip(), self.secret, algorithms=["HS256"])
        except (jwt.PyJWTError, ValueError, TypeError):
            return None  # refused by the route with 401; counted by address meanwhile
        sub = claims.get("sub")
        return sub if isinstance(sub, str) and sub else None

    def client_address(self) -> str:
        """The peer, or, when the peer is a trusted proxy, the nearest untrusted address in
        X-Forwarded-For (read right to left: a client can write anything on its left)."""
        address = request.remote_addr or "unknown"
        if not self.proxies or not self._trusted(address):
            return address
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed([h for h in hops if h]):
            if not self._trusted(hop):
                return hop if _is_ip(hop) else address
        return address

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.proxies)


def _share(value: str, processes: int) -> str:
    """`value` for one of `processes` counting apart (rounded up); fails fast on a bad value."""
    item = limits.parse(value)
    amount = max(1, math.ceil(item.amount / processes))
    return f"{amount}/{item.multiples} {item.GRANULARITY.name}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def init_app(app: Flask) -> None:
    config = app.config["CANOPY"]
    if not config.RATE_LIMITS:
        return
    redis_url = config.REDIS_URL
    buckets = Buckets(config, 1 if redis_url else max(1, config.WEB_WORKERS))
    limiter = Limiter(
        key_func=lambda: buckets.kind_and_key()[1],
        application_limits=[lambda: buckets.limits[buckets.kind_and_key()[0]]],
        strategy="sliding-window-counter",
        storage_uri=redis_url or "memory://",
        storage_options=_redis_options() if redis_url else {},
        in_memory_fallback_enabled=True, swallow_errors=True, headers_enabled=False,
        key_prefix="canopy")
    limiter.request_filter(lambda: request.path in EXEMPT_PATHS)
    limiter.init_app(app)
    app.extensions["canopy_limits"] = (limiter, buckets)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def _too_many_requests(exc: RateLimitExceeded):
    limiter, buckets = current_app.extensions["canopy_limits"]
    kind = buckets.kind_and_key()[0]
    retry = _retry_after(limiter, exc)
    who = {"user": "this user", "partner": "this partner key",
           "public": "this client address"}[kind]
    return problem(429, "Too Many Requests",
                   f"Too many requests from {who}: the limit is {buckets.configured[kind]}. "
                   f"Retry in {retry} s.", headers={"Retry-After": str(retry)},
                   code="rate_limited")


def _retry_after(limiter: Limiter, exc: RateLimitExceeded) -> int:
    """Whole seconds until the window lets a request through; the window's length if the
    storage cannot say."""
    try:
        current = limiter.current_limit
        if current is not None:
            return max(1, math.ceil(current.reset_at - time.time()))
    except Exception:  # storage gone between the refusal and now: a safe upper bound
        pass
    return max(1, exc.limit.limit.get_expiry())
