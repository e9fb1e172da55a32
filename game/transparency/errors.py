"""What can go wrong with the public log, in words a client developer understands."""

from __future__ import annotations

from carbon.errors import NotFound


class LogRecordNotFound(NotFound):
    title = "Not in the public log"

