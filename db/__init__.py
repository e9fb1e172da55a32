"""Shared persistence: declarative base, column types, engine and unit of work."""

from db.base import Base, UTCDateTime, utcnow_aware
from db.uow import SharedTransaction, UnitOfWork, make_engine, make_session_factory

__all__ = ["Base", "SharedTransaction", "UTCDateTime", "UnitOfWork", "make_engine", "make_session_factory", "utcnow_aware"]
