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
        # Idempotency-Key answers are replayed this long, then purged (a retry runs anew).
        self.IDEMPOTENCY_KEY_TTL_HOURS = _int("CANOPY_IDEMPOTENCY_KEY_TTL_HOURS", 24)
        self.PURGE_EVERY_MINUTES = _int("CANOPY_PURGE_EVERY_MINUTES", 60)
        # PostgreSQL: seconds to wait for a connection, and the longest statement of a web
        # request or CLI command (0: no limit); beyond them the API answers 503.
        self.DB_CONNECT_TIMEOUT_S = _int("CANOPY_DB_CONNECT_TIMEOUT_S", 5)
        self.DB_STATEMENT_TIMEOUT_MS = _int("CANOPY_DB_STATEMENT_TIMEOUT_MS", 30000)
        # The scheduler's statements (settlement batches, expiry): none by default, since a
        # timed-out batch would only be tried again, just as long, at the next tick.
        self.JOB_STATEMENT_TIMEOUT_MS = _int("CANOPY_JOB_STATEMENT_TIMEOUT_MS", 0)
        self.PORT = _int("PORT", 8000)
        self.WEB_WORKERS = _int("WEB_CONCURRENCY", 2)


class TestConfig(Config):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.DATABASE_URL = database_url
        self.JWT_SECRET = "test-secret-of-at-least-32-bytes!"
        # The tests' sessions share one connection (rolled back after each test): one worker.
        self.SETTLE_WORKERS = 1
