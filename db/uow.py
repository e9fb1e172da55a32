"""Engine construction and the unit of work that services open with `with uow:`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from db.citus_layout import SESSION_SETTINGS
from db.pool import lend_checked

SQLITE_BUSY_TIMEOUT_MS = 30000  # when no statement timeout is given


def make_engine(url: str, *, connect_timeout_s: int | None = None,
                statement_timeout_ms: int | None = None, **kw: Any) -> Engine:
    """An engine for `url`. On PostgreSQL, `connect_timeout_s` bounds a connection attempt and
    `statement_timeout_ms` every statement (None or 0: no limit), so that a database that
    stops answering fails a request in bounded time instead of pinning its worker. On SQLite
    `statement_timeout_ms` is how long a transaction waits for the write lock (None or 0:
    SQLITE_BUSY_TIMEOUT_MS)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        # SQLite's statements wait only for the write lock: the busy timeout is their limit.
        busy_ms = statement_timeout_ms or SQLITE_BUSY_TIMEOUT_MS
        engine = create_engine(url, connect_args={"timeout": busy_ms / 1000,
                                                  "check_same_thread": False}, **kw)
        _sqlite_pragmas(engine, busy_ms)
        return engine
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    connect_args = kw.pop("connect_args", {})
    if connect_timeout_s:
        connect_args.setdefault("connect_timeout", connect_timeout_s)
    if statement_timeout_ms:
        # Sent in the startup packet: no extra round trip, and it survives a pool reset.
        connect_args.setdefault("options", f"-c statement_timeout={statement_timeout_ms}")
    engine = create_engine(url, connect_args=connect_args, **kw)
    event.listen(engine, "connect", _citus_session)
    if not kw.get("pool_pre_ping"):
        lend_checked(engine)  # what pool_pre_ping checks, without its round trip
    return engine


# On a Citus coordinator, each new connection takes db.citus_layout.SESSION_SETTINGS (nothing
# is set on a PostgreSQL without the extension). Committed: a rolled-back SET is undone.
_CITUS_SESSION = ("SELECT set_config(s.name, s.setting, false) FROM (VALUES "
                  + ", ".join(f"('{name}', '{setting}')"
                              for name, setting in SESSION_SETTINGS.items())
                  + ") AS s(name, setting) "
                  "WHERE EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")


def _citus_session(dbapi_conn: Any, _record: object) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute(_CITUS_SESSION)
    dbapi_conn.commit()


def _sqlite_pragmas(engine: Engine, busy_ms: int) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; we emit BEGIN IMMEDIATE ourselves so
    # that writers queue on the busy timeout instead of failing on a lock upgrade.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


class OutsideUnitOfWork(RuntimeError):
    """`uow.session` was used outside `with uow:`: there is no transaction to run it in."""


class UnitOfWork:
    """One business transaction: `with uow: ...; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The open transaction's session; only inside `with uow:`."""
        if self._session is None:
            raise OutsideUnitOfWork("uow.session used outside `with uow:`")
        return self._session

    @property
    def active(self) -> bool:
        return self._session is not None

    def __enter__(self) -> Self:
        self._session = self._factory()
        return self

    def __exit__(self, *exc: object) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Self]:
        """`with uow.reading():` for a use case that only reads. On PostgreSQL (bound to an
        engine) its statements run in autocommit, each on its own snapshot, which spares every
        read request the BEGIN and ROLLBACK round trips; otherwise it is a plain `with uow:`."""
        with self:
            if isinstance(self._bind, Engine) and self.dialect == "postgresql":
                self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield self

    def sibling(self) -> UnitOfWork:
        """Another unit of work on the same database, e.g. for another thread."""
        return UnitOfWork(self._factory)

    @property
    def _bind(self) -> Engine | Connection:
        bind: Engine | Connection = self._factory.kw["bind"]
        return bind

    @property
    def dialect(self) -> str:
        return self._bind.dialect.name

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class SharedTransaction:
    """One transaction that several units of work join, each as a savepoint, committed once by
    its owner. An idempotent request runs its use cases in it and stores its response in it, so
    that a crash anywhere leaves both the effect and the stored response, or neither."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.session = session_factory()
        self.session.begin()

    def unit_of_work(self) -> UnitOfWork:
        return _JoinedUnitOfWork(self._factory, self.session)

    def commit(self) -> None:
        self.session.commit()

    def __enter__(self) -> SharedTransaction:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.session.rollback()  # nothing after a commit; everything when the owner left early
        finally:
            self.session.close()


class _JoinedUnitOfWork(UnitOfWork):
    """`with uow:` inside a SharedTransaction: commit releases the block's savepoint into the
    shared transaction, leaving without commit rolls back only the block, as a plain unit of
    work would."""

    def __init__(self, session_factory: sessionmaker[Session], shared: Session) -> None:
        super().__init__(session_factory)
        self._shared = shared
        self._savepoint: SessionTransaction | None = None

    @property
    def savepoint(self) -> SessionTransaction:
        if self._savepoint is None:
            raise OutsideUnitOfWork("a joined unit of work used outside `with uow:`")
        return self._savepoint

    def __enter__(self) -> Self:
        self._session = self._shared
        self._savepoint = self._shared.begin_nested()
        return self

    def __exit__(self, *exc: object) -> None:
        savepoint = self.savepoint
        self._session = self._savepoint = None
        if savepoint.is_active:
            savepoint.rollback()

    @contextmanager
    def reading(self) -> Iterator[Self]:
        with self:  # never autocommit: the reads belong to the shared transaction
            yield self

    def commit(self) -> None:
        # What the block does after its commit is rolled back at its end, as in a plain one.
        self.savepoint.commit()
        self._savepoint = self._shared.begin_nested()

    def rollback(self) -> None:
        self.savepoint.rollback()
        self._savepoint = self._shared.begin_nested()
