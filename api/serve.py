"""`python -m api.serve`: gunicorn for the API and, beside it, `flask scheduler` for the jobs.

Both children share this process group: Ctrl-C reaches all three, and SIGTERM to this process
stops both children. The API keeps serving if the scheduler dies (it is said on stderr).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

STOP_TIMEOUT_S = 30  # a job still running after this is killed; settlement resumes next start


def main() -> int:
    port = os.environ.get("PORT", "8000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    env = dict(os.environ, FLASK_APP="wsgi:app")
    bindir = os.path.dirname(sys.executable)
    scheduler = subprocess.Popen([os.path.join(bindir, "flask"), "scheduler"], env=env)
    web = subprocess.Popen([os.path.join(bindir, "gunicorn"), "--workers", workers,
                            "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "wsgi:app"],
                           env=env)

    stopping: list[bool] = []

    def stop(*_):
        stopping.append(True)
        for proc in (web, scheduler):
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        code = _wait_for_web(web, scheduler, lambda: bool(stopping))
    finally:
        stop()
        for proc in (web, scheduler):
            _reap(proc)
    return code


def _wait_for_web(web: subprocess.Popen, scheduler: subprocess.Popen, stopping) -> int:
    told = False
    while True:
        try:
            return web.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        if not told and not stopping() and scheduler.poll() is not None:
            print(f"serve: the scheduler exited with status {scheduler.returncode}; the API "
                  "goes on without it (run `flask scheduler` to restart it)", file=sys.stderr)
            told = True


def _reap(proc: subprocess.Popen) -> None:
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
