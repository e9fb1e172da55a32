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
        # Bytes a request body may hold, refused with 413 before it is parsed: a user or admin
        # body needs kilobytes; a batch of 1,000 events about a megabyte.
        self.BODY_MAX_BYTES = _int("CANOPY_BODY_MAX_BYTES", 64 * 1024)
        self.EVENTS_BODY_MAX_BYTES = _int("CANOPY_EVENTS_BODY_MAX_BYTES", 2 * 1024 * 1024)
        # Nesting of arrays and objects a JSON body may have (400 beyond it).
        self.JSON_MAX_DEPTH = _int("CANOPY_JSON_MAX_DEPTH", 32)
        self.PORT = _int("PORT", 8000)
        self.WEB_WORKERS = _int("WEB_CONCURRENCY", 2)


class TestConfig(Config):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.DATABASE_URL = database_url
        self.JWT_SECRET = "test-secret-of-at-least-32-bytes!"
        # The tests' sessions share one connection (rolled back after each test): one worker.
        self.SETTLE_WORKERS = 1
