"""Each job's start and end as log lines: its name bound to every line it writes meanwhile,
and its duration and figures as fields, so that a collector can sum or alert on them."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import structlog

from db.applog import get_logger

log = get_logger("jobs")


def logged_job(name: str, figures: Callable[[Any], dict]):
    """`figures(result)` names what the job did (balls, energy_g, ...) for its end line."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with structlog.contextvars.bound_contextvars(job=name):
                log.info("job started")
                started = time.perf_counter()
                try:
                    result = fn(*args, **kwargs)
                except Exception:
                    log.exception("job failed", duration_ms=_ms_since(started))
                    raise
                log.info("job finished", duration_ms=_ms_since(started), **figures(result))
                return result

        return wrapper

    return decorator


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
