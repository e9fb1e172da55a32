"""Lending a pooled PostgreSQL connection without a round trip to check it.

pool_pre_ping sends a statement before every checkout: one more round trip in every request,
to a server that shares the machine's cores with the workers. A connection the server has
closed while it sat in the pool (a restart, pg_terminate_backend, idle_session_timeout) has
the server's goodbye and EOF waiting on its socket: a zero-timeout poll of the socket finds
it without a word to the server. Only a connection idle for more than PING_AFTER_IDLE_S, which
a firewall or NAT may have dropped in silence, is pinged as before. A dead connection raises
DisconnectionError, upon which the pool discards it and lends a new one (SQLAlchemy's
pessimistic disconnect handling), so the first request after the database is back is served.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import Engine, event, exc
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

PING_AFTER_IDLE_S = 10.0  # read at each checkout (tests lower it)
_IDLE_SINCE = "canopy_idle_since"


def lend_checked(engine: Engine) -> None:
    """Install the check on `engine`'s pool (instead of pool_pre_ping)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: ConnectionPoolEntry,
                     _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:
            return  # just connected
        if dbapi_conn.closed or _has_news(dbapi_conn):
            raise exc.DisconnectionError("the server closed this connection while it was idle")
        if time.monotonic() - idle_since > PING_AFTER_IDLE_S:
            try:
                engine.dialect.do_ping(dbapi_conn)
            except Exception as error:
                raise exc.DisconnectionError(f"an idle connection failed its ping: {error}") \
                    from error


def _has_news(dbapi_conn: Any) -> bool:
    """Whether the server sent anything to an idle connection (nothing is expected: no LISTEN,
    no query running), in practice an error that it is terminating it, then EOF."""
    try:
        fd = dbapi_conn.fileno()
    except Exception:  # closed or broken
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
