"""Logs as data: structlog over the standard library, configured once per process.

Why structlog over the standard library rather than a bare JSON formatter: the services, the
jobs and the libraries (waitress, APScheduler, SQLAlchemy) all log through `logging`; one
`ProcessorFormatter` on the root logger renders their records and ours the same way, with the
fields bound in a contextvar (the request id, the job) added to every line. Our own loggers hand
their fields to `logging` as `extra`, so pytest's `caplog` still sees plain messages.

Only the standard library and structlog here: the api and the jobs both import this package.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, TextIO

import structlog
from structlog.typing import EventDict, Processor

# Libraries whose INFO lines repeat ours (APScheduler's "Running job ...") or come per request
# under load (waitress's "Task queue depth"), or say nothing to an operator (alembic's setup,
# each time /healthz checks the schema): only their warnings are kept.
QUIET = {"apscheduler": logging.WARNING, "waitress.queue": logging.ERROR,
         "alembic": logging.WARNING}


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (a test may have swapped it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr


def configure(level: str = "INFO", fmt: str = "auto", stream: IO[str] | None = None) -> None:
    """Send every log record of the process, as one line each, to `stream` (stderr by default:
    stdout is the CLI commands' output). `fmt` auto: colours on a terminal, JSON lines
    otherwise (a pipe, a file, a collector); or console, or json. Calling it again replaces the
    previous setup."""
    _configure_structlog()
    handler: logging.Handler = logging.StreamHandler(stream) if stream else _StderrHandler()
    as_json = fmt == "json" or (fmt == "auto" and not _is_tty(stream or sys.stderr))
    handler.setFormatter(_formatter(as_json, colors=not as_json and _is_tty(stream or sys.stderr)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_canopy", False)]:
        root.removeHandler(old)
    handler._canopy = True  # type: ignore[attr-defined]  # ours: replaced, never doubled
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)


def unconfigure() -> None:
    """Remove the handler `configure` installed (tests)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_canopy", False)]:
        root.removeHandler(old)


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _formatter(as_json: bool, colors: bool) -> logging.Formatter:
    pre_chain: list[Processor] = [
        structlog.stdlib.ExtraAdder(),
        _drop_formatter_leftovers,
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if as_json:
        final: list[Processor] = [structlog.processors.format_exc_info, _head_first,
                 structlog.processors.JSONRenderer(default=str)]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=colors)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final])


def _drop_formatter_leftovers(_logger: object, _name: str, event_dict: EventDict) -> EventDict:
    """Another handler's formatter (pytest's, a library's) may have set these on the record
    first; they are not fields (and `logging` refuses them as `extra`)."""
    event_dict.pop("message", None)
    event_dict.pop("asctime", None)
    return event_dict


HEAD = ("timestamp", "level", "logger", "event")


def _head_first(_logger: object, _name: str, event_dict: EventDict) -> EventDict:
    """When, how bad, who and what lead each JSON line; the fields follow."""
    head = {k: event_dict.pop(k) for k in HEAD if k in event_dict}
    return {**head, **event_dict}


def _configure_structlog() -> None:
    """Our loggers only turn their fields into a standard `logging` call; the root handler's
    formatter does the rest, for every logger alike."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level,
                    structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.render_to_log_kwargs],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


_configure_structlog()  # before any logger is used, even in a process that never calls configure
