"""Per-application database handles and the per-request clock and unit of work."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g

from config import Config
from db import SharedTransaction, UnitOfWork, make_engine, make_session_factory, utcnow_aware


def init_db(app: Flask, config: Config) -> None:
    engine = make_engine(config.DATABASE_URL,
                         connect_timeout_s=config.DB_CONNECT_TIMEOUT_S,
                         statement_timeout_ms=config.DB_STATEMENT_TIMEOUT_MS)
    app.extensions["canopy_engine"] = engine
    app.extensions["canopy_sessions"] = make_session_factory(engine)


def config() -> Config:
    return current_app.config["CANOPY"]


def uow() -> UnitOfWork:
    """The request's unit of work: inside an idempotent request, one that joins its transaction."""
    shared = g.get("canopy_transaction")
    if shared is not None:
        return shared.unit_of_work()
    return UnitOfWork(current_app.extensions["canopy_sessions"])


def shared_transaction() -> SharedTransaction:
    return SharedTransaction(current_app.extensions["canopy_sessions"])


def now() -> datetime:
    """The request's instant, read once so that one request sees one time."""
    if "now" not in g:
        g.now = utcnow_aware()
    return g.now
