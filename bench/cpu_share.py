"""Who spends the CPU of a benchmark: the database's backends or the application's server.

    .venv/bin/python bench/cpu_share.py DATABASE -- .venv/bin/python bench/api_load.py ...

Runs the command and, every 0.2 s while a `python -m api.server.supervisor` process runs, reads the CPU
time (user + system, /proc/PID/stat) of that server's processes and of the PostgreSQL backends
connected to DATABASE (pg_stat_activity on BENCH_PG). Prints both totals and the database's
share: what a capacity plan needs to split "requests per core" into database cores and
application cores. Backends are counted from their first sighting (the server's pool keeps
them), so a backend that lives less than 0.2 s is missed: a lower bound for the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from common import SERVER

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def server_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"api.server.supervisor" in cmd or b"serve_worker" in cmd:
                pids.append(int(entry.name))
    return pids


def main() -> int:
    database, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    proc = subprocess.Popen(command)
    first: dict[tuple[str, int], float] = {}
    last: dict[tuple[str, int], float] = {}
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        while proc.poll() is None:
            app = server_pids()
            db = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))] if app else []
            for kind, pids in (("app", app), ("db", db)):
                for pid in pids:
                    if (seconds := cpu_seconds(pid)) is not None:
                        first.setdefault((kind, pid), seconds)
                        last[(kind, pid)] = seconds
            time.sleep(0.2)
    totals = {kind: sum(last[k] - first[k] for k in last if k[0] == kind) for kind in ("app", "db")}
    share = totals["db"] / max(totals["app"] + totals["db"], 1e-9)
    print(f"cpu_app_s={totals['app']:.1f} cpu_db_s={totals['db']:.1f} db_share={share:.2f}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
