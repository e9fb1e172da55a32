"""What can go wrong in the carbon account, in words a client developer understands (no HTTP here).

The base classes say what kind of failure it is; api/errors.py maps each kind to a status.
Game packages subclass these bases for their own errors.
"""

from __future__ import annotations


class CanopyError(Exception):
    title = "Request failed"
    # A short stable name of the error class that clients branch on (api/errors.py turns it
    # into the problem's `code` and `type`); None until a class names its own.
    code: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(CanopyError):
    title = "Not found"


class Conflict(CanopyError):
    """The request is well formed but the current state does not allow it."""

    title = "Conflict"


class InvalidInput(CanopyError):
    """The request is well formed JSON but a value breaks a rule."""

    title = "Invalid input"

    def __init__(self, detail: str, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or {}


class Forbidden(CanopyError):
    title = "Forbidden"


class InsufficientEnergy(Conflict):
    title = "Not enough energy"


class UserNotFound(NotFound):
    title = "User not found"


class BallNotFound(NotFound):
    title = "Ball not found"


class BallNotRipe(Conflict):
    title = "Ball not ripe"


class BallClosed(Conflict):
    title = "Ball already collected or expired"


class DayAlreadySettled(Conflict):
    title = "Day already settled"


class DayNotOver(Conflict):
    title = "Day not over"


class UnknownActivityType(NotFound):
    title = "Unknown activity type"


class LedgerUnbalanced(CanopyError):
    """A programming error: a transaction whose entries do not sum to zero."""

    title = "Ledger transaction does not balance"
