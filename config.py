"""Configuration read from the environment (standard library only)."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Settings for a running Canopy; every value can be overridden by the environment."""

    def __init__(self) -> None:
        self.DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{HERE / 'canopy.db'}")
        self.JWT_SECRET = os.environ.get("CANOPY_JWT_SECRET", "dev-secret-change-me-before-production")
        self.DEFAULT_TIMEZONE = os.environ.get("CANOPY_DEFAULT_TZ", "Asia/Shanghai")
        # Seconds of clock skew a partner signature may have (contract: 300 s).
        self.PARTNER_MAX_SKEW_S = _int("CANOPY_PARTNER_MAX_SKEW_S", 300)
        # Minutes after a zone's local midnight before its day is settled (late events window).
        self.SETTLE_GRACE_MINUTES = _int("CANOPY_SETTLE_GRACE_MINUTES", 30)
        self.SETTLE_BATCH_USERS = _int("CANOPY_SETTLE_BATCH_USERS", 20000)
        # Batches settled at once on PostgreSQL (one connection each); SQLite always uses one.
        self.SETTLE_WORKERS = _int("CANOPY_SETTLE_WORKERS", 2)
        self.SCHEDULER_TICK_MINUTES = _int("CANOPY_SCHEDULER_TICK_MINUTES", 5)
        self.EXPIRE_EVERY_MINUTES = _int("CANOPY_EXPIRE_EVERY_MINUTES", 5)
        self.EVENTS_MAX_BATCH = 1000
        self.PORT = _int("PORT", 8000)
        self.WEB_WORKERS = _int("WEB_CONCURRENCY", 2)
        # waitress (api/serve_worker.py): threads per process, and how long a client may take
        # to send its headers, then its body, or stay idle between requests before it is cut.
        self.WEB_THREADS = _int("CANOPY_WEB_THREADS", 4)
        self.WEB_CONNECTIONS = _int("CANOPY_WEB_CONNECTIONS", 1000)
        self.HEADER_TIMEOUT_S = _int("CANOPY_HEADER_TIMEOUT_S", 10)
        self.BODY_TIMEOUT_S = _int("CANOPY_BODY_TIMEOUT_S", 60)
        self.IDLE_TIMEOUT_S = _int("CANOPY_IDLE_TIMEOUT_S", 30)
        # One line per request on stdout (address, method, path, status, milliseconds).
        self.ACCESS_LOG = os.environ.get("CANOPY_ACCESS_LOG", "on").lower() != "off"
        # Rate limits (api/limits.py), in the `limits` notation ("600/minute", "10/second").
        self.RATE_LIMITS = os.environ.get("CANOPY_RATE_LIMITS", "on").lower() != "off"
        self.RATE_LIMIT_USER = os.environ.get("CANOPY_RATE_LIMIT_USER", "600/minute")
        self.RATE_LIMIT_PARTNER = os.environ.get("CANOPY_RATE_LIMIT_PARTNER", "3000/minute")
        self.RATE_LIMIT_PUBLIC = os.environ.get("CANOPY_RATE_LIMIT_PUBLIC", "120/minute")
        # Counters in Redis when set (shared by every process and host), else in each process.
        self.REDIS_URL = os.environ.get("CANOPY_REDIS_URL", "")
        # Addresses or networks of proxies whose X-Forwarded-For is believed (comma separated).
        self.TRUSTED_PROXIES = os.environ.get("CANOPY_TRUSTED_PROXIES", "")


class TestConfig(Config):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.DATABASE_URL = database_url
        self.JWT_SECRET = "test-secret-of-at-least-32-bytes!"
        # The tests' sessions share one connection (rolled back after each test): one worker.
        self.SETTLE_WORKERS = 1
        # One client makes hundreds of requests per run: the rate limits' own tests turn them on.
        self.RATE_LIMITS = False
