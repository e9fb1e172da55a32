"""Helpers the benchmark scripts share: a fresh bench database, a free port, the server.

The scripts run as `.venv/bin/python bench/x.py`, so bench/ is sys.path[0] and they
`import common`; the repository root is put on sys.path here as in the scripts.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from db.migrate import upgrade  # noqa: E402

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
# Appended to every bench database's name, so that people sharing one PostgreSQL server can
# run the same bench at once without dropping each other's database.
SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")
DB_SUFFIX = SUFFIX
# A realistic mix of activity types (weights in percent): payments and rides dominate, bills
# and tickets (capped per month) are rare. bench/ingest.py, settle.py and history.py draw from it.
EVENT_MIX = [("offline_payment", 40), ("metro_ride", 14), ("bus_ride", 10), ("walk", 8),
             ("e_invoice", 8), ("no_cutlery_order", 7), ("box_return", 4), ("etc_toll", 3),
             ("utility_bill", 2), ("movie_ticket", 2), ("train_ticket", 1),
             ("hospital_booking", 1)]


def fresh_database(name: str) -> str:
    """Drop and create the database `name` (+ BENCH_DB_SUFFIX) on SERVER, migrate it; its
    url."""
    name += SUFFIX
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{SERVER}/{name}"
    upgrade(url)
    return url


@contextlib.contextmanager
def quiet_machine():
    """Hold the file lock named by BENCH_LOCK (if set) while measuring: on a machine shared with
    other heavy jobs that take the same lock (`flock $BENCH_LOCK make test`), the timed part of
    a long bench waits for a quiet machine while its long set-up runs beside the others."""
    path = os.environ.get("BENCH_LOCK")
    if not path:
        yield
        return
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_for_autovacuum(url: str, timeout_s: float = 600) -> float:
    """Wait until no autovacuum worker is busy in `url`'s database (what a bulk load leaves
    behind: the 07:00 rush comes hours after the nightly jobs, not during their vacuum); the
    seconds waited. Gives up after `timeout_s`."""
    started = time.monotonic()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        while time.monotonic() - started < timeout_s:
            busy = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                                "'autovacuum worker' AND datname = current_database()").fetchone()
            if not busy or not busy[0]:
                break
            time.sleep(1)
    return time.monotonic() - started


def background_backend(conn: psycopg.Connection) -> None:
    """Lower the CPU priority of this connection's PostgreSQL backend to the lowest (nice 19),
    when BENCH_LOCK is set and we may (same user or root): a long set-up then takes only the
    CPU the timed work of others leaves."""
    if os.environ.get("BENCH_LOCK"):
        with contextlib.suppress(PermissionError, ProcessLookupError):
            os.setpriority(os.PRIO_PROCESS, conn.info.backend_pid, 19)


def month_spans(first, last):
    """(a, b) for each calendar month's part of first..last, in order: a bench's history is
    written month by month, each span landing in one monthly partition."""
    a = first
    while a <= last:
        b = min(last, (a.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(1))
        yield a, b
        a = b + timedelta(days=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by the live process `pid` and its live
    descendants (the server and its workers), from /proc; Linux only. Unlike latency on a
    shared machine, this hardly depends on what else runs there."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
    return total


def start_server(url: str, port: int, workers: int, threads: int | None = None, *,
                 log_path: Path, extra_env: dict[str, str] | None = None,
                 root: Path = ROOT) -> subprocess.Popen:
    """The server `make run` starts (`python -m api.server.supervisor`, without the scheduler) on
    127.0.0.1:port against `url`, once GET /healthz answers 200. SIGTERM stops it and its
    workers. `root`: the source tree it runs (another checkout, to compare two builds)."""
    # No access log: the server's figures, not its log's (gunicorn's bench ran without one too).
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port), WEB_CONCURRENCY=str(workers),
               CANOPY_ACCESS_LOG="off", **(extra_env or {}))
    if threads:
        env["CANOPY_WEB_THREADS"] = str(threads)
    log = open(log_path, "w")  # noqa: SIM115 (the server writes to it until it stops)
    proc = subprocess.Popen([sys.executable, "-m", "api.server.supervisor", "--no-scheduler"],
                            cwd=root, env=env, stdout=log, stderr=log)
    deadline = time.time() + 120  # a loaded machine starts slowly
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the server did not start; see {log_path}")


def monthly_partitions(url: str, first, last) -> None:
    """Every partitioned table's monthly partitions for the months first..last (those missing),
    as the partition maintenance job keeps them ahead of the clock (the migrations created only
    those around the day they ran). No-op on unpartitioned tables."""
    from db import UnitOfWork, make_engine, make_session_factory
    from db.partition_ops import create_partition, is_partitioned, partitions
    from db.partitions import REGISTRY, month_start

    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    with uow:
        s = uow.session
        for spec in REGISTRY:
            if not spec.partitioned or not is_partitioned(s, spec.table):
                continue
            have, month = partitions(s, spec), month_start(first)
            while month <= last:
                if month not in have:
                    create_partition(s, spec, month)
                month = spec.next(month)
        uow.commit()
    engine.dispose()
