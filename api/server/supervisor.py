"""`python -m api.server.supervisor [--no-scheduler]`: the API in WEB_CONCURRENCY waitress
processes sharing one listening socket, and beside them `flask scheduler` for the jobs.

This process only supervises: it binds CANOPY_HOST:PORT (127.0.0.1:8000 by default), starts the
workers (`api.server.worker`, which inherit the socket), replaces a worker that dies, and on
SIGTERM or Ctrl-C stops them all: each worker stops accepting, answers what it has already read
(for at most CANOPY_GRACEFUL_TIMEOUT_S) and exits; one still running after that is killed. The
API keeps serving if the scheduler dies. What it does is logged through the structured logger
(`canopy.server`), like the access lines of the workers. Why waitress and not gunicorn's sync
workers: docs-notes/serve.md (slow clients must not hold a worker).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from prometheus_client import multiprocess

from config import config_or_exit
from db import applog

log = applog.get_logger("canopy.server")

STOP_TIMEOUT_S = 30  # a job still running after this is killed; settlement resumes next start
KILL_MARGIN_S = 5  # a worker past its graceful timeout gets this long to exit by itself
RESPAWN_PAUSE_S = 1  # a worker that dies at once is not restarted in a tight loop
# A worker that dies this soon after its start, this many times in a row, cannot start (bad
# configuration, database URL, import error): stop rather than print its traceback forever.
EARLY_DEATH_S = 10
EARLY_DEATHS_MAX = 5
BACKLOG = 1024


def listening_socket(port: int, host: str = "127.0.0.1") -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


WORKER = (sys.executable, "-m", "api.server.worker")
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir() -> tuple[str, bool]:
    """The directory where the workers and the scheduler write their metrics (multiprocess
    mode of prometheus_client), emptied of a previous run's files, and whether it is ours to
    remove at the end: PROMETHEUS_MULTIPROC_DIR when set, else a fresh temporary one."""
    given = os.environ.get(METRICS_DIR_ENV)
    if not given:
        return tempfile.mkdtemp(prefix="canopy-metrics-"), True
    os.makedirs(given, exist_ok=True)
    for path in glob.glob(os.path.join(given, "*.db")):
        os.remove(path)  # a previous run's counters would be added to this one's
    return given, False


class Supervisor:
    respawn_pause_s = RESPAWN_PAUSE_S

    def __init__(self, sock: socket.socket, workers: int, scheduler: bool,
                 worker: tuple[str, ...] = WORKER, graceful_timeout_s: float = 45) -> None:
        self.sock, self.stopping, self.worker = sock, False, worker
        self.graceful_timeout_s = graceful_timeout_s
        self.env = dict(os.environ, FLASK_APP="wsgi:app")
        self.workers = [self.start_worker() for _ in range(workers)]
        self.started = [time.monotonic()] * workers
        self.early_deaths = 0
        self.scheduler = (subprocess.Popen([os.path.join(os.path.dirname(sys.executable),
                                                         "flask"), "scheduler"], env=self.env)
                          if scheduler else None)
        self.told_scheduler = False

    def watch(self) -> int:
        """Until stopped: replace dead workers, say once if the scheduler died. 1 when the
        workers cannot start, else 0."""
        while not self.stopping:
            time.sleep(0.5)
            for i, proc in enumerate(self.workers):
                if proc.poll() is None or self.stopping:
                    continue
                early = time.monotonic() - self.started[i] < EARLY_DEATH_S
                self.early_deaths = self.early_deaths + 1 if early else 0
                if self.early_deaths >= EARLY_DEATHS_MAX:
                    log.error("workers cannot start; stopping", deaths=EARLY_DEATHS_MAX,
                              within_s=EARLY_DEATH_S, status=proc.returncode)
                    return 1
                log.warning("worker died; starting another", pid=proc.pid,
                            status=proc.returncode)
                self._forget_metrics_of(proc.pid)
                time.sleep(self.respawn_pause_s)
                self.workers[i], self.started[i] = self.start_worker(), time.monotonic()
            self._check_scheduler()
        return 0

    def _forget_metrics_of(self, pid: int) -> None:
        # Its live gauges go; its counters stay in the totals (a counter never goes down).
        if self.env.get(METRICS_DIR_ENV):
            multiprocess.mark_process_dead(pid, self.env[METRICS_DIR_ENV])

    def start_worker(self) -> subprocess.Popen:
        fd = self.sock.fileno()  # inherited: every worker accepts on the same socket
        proc = subprocess.Popen([*self.worker, str(fd)], env=self.env, pass_fds=(fd,))
        log.info("worker started", pid=proc.pid)
        return proc

    def _check_scheduler(self) -> None:
        if (self.scheduler and not self.told_scheduler and not self.stopping
                and self.scheduler.poll() is not None):
            log.error("scheduler died; the API goes on without it (run `flask scheduler`)",
                      pid=self.scheduler.pid, status=self.scheduler.returncode)
            self.told_scheduler = True

    def stop(self, *_: object) -> None:
        if not self.stopping:
            log.info("shutting down: workers finish what they have read", workers=len(
                self.workers), graceful_timeout_s=self.graceful_timeout_s)
        self.stopping = True
        for proc in self.children():
            if proc.poll() is None:
                proc.terminate()

    def children(self) -> list[subprocess.Popen]:
        return [*self.workers, *([self.scheduler] if self.scheduler else [])]

    def reap(self) -> None:
        """Wait for every child to exit (a worker up to its graceful timeout and a margin, the
        scheduler STOP_TIMEOUT_S), killing one that does not."""
        deadline = time.monotonic() + self.graceful_timeout_s + KILL_MARGIN_S
        for proc in self.workers:
            _reap(proc, max(0.0, deadline - time.monotonic()), "worker")
        if self.scheduler:
            _reap(self.scheduler, STOP_TIMEOUT_S, "scheduler")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    config = config_or_exit()  # before any worker starts: one line per problem, status 1
    applog.configure(config.LOG_LEVEL, config.LOG_FORMAT)
    address = f"[{config.HOST}]:{config.PORT}" if ":" in config.HOST else \
        f"{config.HOST}:{config.PORT}"
    try:
        sock = listening_socket(config.PORT, config.HOST)
    except OSError as exc:
        log.error(f"cannot listen on {address}: {exc.strerror}", address=address)
        return 1
    directory, temporary = metrics_dir()
    os.environ[METRICS_DIR_ENV] = directory  # the workers and the scheduler inherit it
    supervisor = Supervisor(sock, config.WEB_WORKERS, "--no-scheduler" not in args,
                            graceful_timeout_s=config.GRACEFUL_TIMEOUT_S)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    log.info(f"serving http://{address}", address=address, workers=config.WEB_WORKERS,
             threads=config.WEB_THREADS, graceful_timeout_s=config.GRACEFUL_TIMEOUT_S)
    try:
        code = supervisor.watch()
    finally:
        supervisor.stop()
        supervisor.reap()
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)
    log.info("server stopped", status=code)
    return code


def _reap(proc: subprocess.Popen, timeout_s: float, what: str) -> None:
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        log.warning(f"{what} still running after its timeout: killed", pid=proc.pid,
                    timeout_s=round(timeout_s, 1))
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
