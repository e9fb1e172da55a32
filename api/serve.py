"""`python -m api.serve`: gunicorn for the API and, beside it, `flask scheduler` for the jobs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def main() -> int:
    port = os.environ.get("PORT", "8000")
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    env = dict(os.environ, FLASK_APP="wsgi:app")
    bindir = os.path.dirname(sys.executable)
    scheduler = subprocess.Popen([os.path.join(bindir, "flask"), "scheduler"], env=env)
    web = subprocess.Popen([os.path.join(bindir, "gunicorn"), "--workers", workers,
                            "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "wsgi:app"],
                           env=env)

    def stop(*_):
        for proc in (web, scheduler):
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        code = web.wait()
    finally:
        stop()
        scheduler.wait(timeout=30)
    return code


if __name__ == "__main__":
    sys.exit(main())
