"""What can go wrong in the carbon account, in words a client developer understands (no HTTP here).

The base classes say what kind of failure it is; api/core/errors.py maps each kind to a status.
Game packages subclass these bases for their own errors.
"""

from __future__ import annotations


class CanopyError(Exception):
    title = "Request failed"
    # A short stable name of the error class that clients branch on (api/core/errors.py turns it
    # into the problem's `code` and `type`); None until a class names its own.
    code: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(CanopyError):
    """The thing the request names does not exist."""

    title = "Not found"
    code = "not_found"


class Conflict(CanopyError):
    """The request is well formed but the current state does not allow it."""

    title = "Conflict"
    code = "conflict"


class InvalidInput(CanopyError):
    """The request is well formed JSON but a value breaks a rule."""

    title = "Invalid input"
    code = "invalid_input"

    def __init__(self, detail: str, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or {}


class Forbidden(CanopyError):
    """The caller may not do this."""

    title = "Forbidden"
    code = "forbidden"


class InsufficientEnergy(Conflict):
    """Your available energy does not cover the cost; nothing was taken."""

    title = "Not enough energy"
    code = "insufficient_energy"


class UserNotFound(NotFound):
    """No user with that id is known."""

    title = "User not found"
    code = "user_not_found"


class BallNotFound(NotFound):
    """No such energy ball."""

    title = "Ball not found"
    code = "ball_not_found"


class BallNotRipe(Conflict):
    """The ball is still growing; it ripens at ripe_at."""

    title = "Ball not ripe"
    code = "ball_not_ripe"


class BallClosed(Conflict):
    """The ball was already collected or has expired."""

    title = "Ball already collected or expired"
    code = "ball_closed"


class DayAlreadySettled(Conflict):
    """The local day of this data is already settled; late data is refused."""

    title = "Day already settled"
    code = "day_already_settled"


class DayNotOver(Conflict):
    """The local day has not ended yet, so it cannot be settled."""

    title = "Day not over"
    code = "day_not_over"


class UnknownActivityType(NotFound):
    """No activity type with that key exists."""

    title = "Unknown activity type"
    code = "unknown_activity_type"


class LedgerUnbalanced(CanopyError):
    """A programming error: a transaction whose entries do not sum to zero."""

    title = "Ledger transaction does not balance"
    code = "ledger_unbalanced"
