"""`python -m api.server.supervisor [--no-scheduler]`: the API in WEB_CONCURRENCY waitress processes sharing
one listening socket, and beside them `flask scheduler` for the jobs.

This process only supervises: it binds 127.0.0.1:PORT, starts the workers (`api.server.worker`,
which inherit the socket), replaces a worker that dies, and stops them all on SIGTERM or Ctrl-C.
The API keeps serving if the scheduler dies (it is said on stderr). Why waitress and not
gunicorn's sync workers: docs-notes/serve.md (slow clients must not hold a worker).
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

STOP_TIMEOUT_S = 30  # a job still running after this is killed; settlement resumes next start
RESPAWN_PAUSE_S = 1  # a worker that dies at once is not restarted in a tight loop
# A worker that dies this soon after its start, this many times in a row, cannot start (bad
# configuration, database URL, import error): stop rather than print its traceback forever.
EARLY_DEATH_S = 10
EARLY_DEATHS_MAX = 5
BACKLOG = 1024


def listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
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
                 worker: tuple[str, ...] = WORKER) -> None:
        self.sock, self.stopping, self.worker = sock, False, worker
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
                    print(f"serve: {EARLY_DEATHS_MAX} workers in a row died within "
                          f"{EARLY_DEATH_S} s of their start; stopping (see above)",
                          file=sys.stderr)
                    return 1
                print(f"serve: worker {proc.pid} exited with status {proc.returncode}; "
                      "starting another", file=sys.stderr)
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
        return subprocess.Popen([*self.worker, str(fd)], env=self.env, pass_fds=(fd,))

    def _check_scheduler(self) -> None:
        if (self.scheduler and not self.told_scheduler and not self.stopping
                and self.scheduler.poll() is not None):
            print(f"serve: the scheduler exited with status {self.scheduler.returncode}; "
                  "the API goes on without it (run `flask scheduler` to restart it)",
                  file=sys.stderr)
            self.told_scheduler = True

    def stop(self, *_) -> None:
        self.stopping = True
        for proc in self.children():
            if proc.poll() is None:
                proc.terminate()

    def children(self) -> list[subprocess.Popen]:
        return [*self.workers, *([self.scheduler] if self.scheduler else [])]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    config = config_or_exit()  # before any worker starts: one line per problem, status 1
    try:
        sock = listening_socket(config.PORT)
    except OSError as exc:
        print(f"serve: cannot listen on 127.0.0.1:{config.PORT}: {exc.strerror}", file=sys.stderr)
        return 1
    directory, temporary = metrics_dir()
    os.environ[METRICS_DIR_ENV] = directory  # the workers and the scheduler inherit it
    supervisor = Supervisor(sock, max(1, config.WEB_WORKERS), "--no-scheduler" not in args)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    print(f"serve: http://127.0.0.1:{config.PORT} with {config.WEB_WORKERS} waitress workers "
          f"of {config.WEB_THREADS} threads", file=sys.stderr)
    try:
        code = supervisor.watch()
    finally:
        supervisor.stop()
        for proc in supervisor.children():
            _reap(proc)
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)
    return code


def _reap(proc: subprocess.Popen) -> None:
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
