"""A database that is down, silent or locked is an outage, not a bug: 503 problem+json with
Retry-After and the code `database_unavailable`, and one log line without a traceback (at most
one every LOG_EVERY_S seconds per process, with the number of requests refused meanwhile).

Nothing is kept between requests: the pool checks a connection before lending it (pre-ping), so
the first request after the database is back is served as usual."""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg
from flask import Flask, Response, request
from sqlalchemy import exc as sa_exc

from api.core.errors import problem
from db.applog import get_logger

log = get_logger(__name__)

RETRY_AFTER_S = 5
LOG_EVERY_S = 10.0
# SQLite raises OperationalError for bad SQL too; only these messages mean "try again later".
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy",
               "unable to open database file", "disk i/o error")


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve now (as opposed to a bug in a statement)."""
    cause: BaseException | None = exc
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        cause = exc.orig
    if isinstance(cause, (psycopg.OperationalError, psycopg.InterfaceError,
                        sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True  # refused, reset, timed out, cancelled by statement_timeout, shutting down
    if isinstance(cause, sqlite3.OperationalError):
        return str(cause).lower().startswith(SQLITE_BUSY)
    return False


class OutageLog:
    """The first refusal is logged at once; later ones at most once per `every_s` seconds."""

    def __init__(self, every_s: float = LOG_EVERY_S, clock=time.monotonic) -> None:
        self.every_s, self.clock = every_s, clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._refused = 0

    def refused(self, exc: BaseException, what: str) -> None:
        with self._lock:
            self._refused += 1
            t = self.clock()
            if self._last is not None and t - self._last < self.every_s:
                return
            self._last, count, self._refused = t, self._refused, 0
        cause = getattr(exc, "orig", None) or exc
        first_line = (str(cause).strip().splitlines() or [""])[0][:200]
        log.warning("database unavailable: %d request(s) answered 503 (latest %s): %s: %s",
                    count, what, type(cause).__name__, first_line,
                    refused=count, latest=what, error=type(cause).__name__)


def init_app(app: Flask) -> None:
    outages = OutageLog()
    app.extensions["canopy_outage_log"] = outages

    def database_error(exc: Exception) -> Response:
        if not is_outage(exc):
            log.exception("unhandled database error", exc_info=exc)
            return problem(500, "Internal error",
                           "Something went wrong on our side; nothing was changed.")
        outages.refused(exc, f"{request.method} {request.path}")
        return problem(503, "Service unavailable",
                       "The database is not answering right now; nothing was changed. "
                       f"Try again in {RETRY_AFTER_S} seconds.",
                       headers={"Retry-After": str(RETRY_AFTER_S)}, code="database_unavailable")

    for cls in (sa_exc.DBAPIError, sa_exc.DisconnectionError, sa_exc.TimeoutError,
                psycopg.Error):
        app.register_error_handler(cls, database_error)
