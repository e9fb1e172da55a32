"""What can go wrong with the public log, in words a client developer understands."""

from __future__ import annotations

from carbon.errors import NotFound


class LogRecordNotFound(NotFound):
    """No such record in the public log."""

    title = "Not in the public log"
    code = "log_record_not_found"

