"""What can go wrong in the forest, in words a client developer understands (no HTTP here)."""

from __future__ import annotations

from carbon.errors import Conflict, Forbidden, InvalidInput, NotFound


class CannotBefriendSelf(InvalidInput):
    title = "Cannot befriend yourself"


class TooManyAwaitedRequests(Conflict):
    title = "Too many requests waiting"
    code = "too_many_awaited_requests"


class NotFriends(Forbidden):
    title = "Not friends"


class FriendshipNotFound(NotFound):
    title = "No such friend or request"


class CannotStealOwnBall(Forbidden):
    title = "Own ball"


class BallNotStealable(Conflict):
    title = "Ball cannot be stolen"


class Shielded(Conflict):
    title = "Protected by a shield"


class AlreadyStolen(Conflict):
    title = "Already stolen"


class NothingLeftToSteal(Conflict):
    title = "Nothing left to steal"


class InvalidWaterAmount(InvalidInput):
    title = "Invalid amount of water"


class WateringLimitReached(Conflict):
    title = "Watering limit reached"


class ProjectNotFound(NotFound):
    title = "Project not found"


class ProjectClosed(Conflict):
    title = "Project closed"


class BudgetExhausted(Conflict):
    title = "No budget left"


class InvalidProject(InvalidInput):
    title = "Invalid project"


class OrderNotFound(NotFound):
    title = "Planting order not found"


class OrderAlreadyDecided(Conflict):
    title = "Order already decided"


class InvalidEvidence(InvalidInput):
    title = "Invalid evidence"


class InvalidQuantity(InvalidInput):
    title = "Invalid quantity"


class DutyAlreadyExchanged(Conflict):
    title = "Duty certificate already issued"


class NotEnoughCertificates(Conflict):
    title = "Not enough tree certificates"


class GroupNotFound(NotFound):
    title = "Group not found"


class NotGroupMember(Forbidden):
    title = "Not a member of this group"


class GroupNotOpen(Conflict):
    title = "Group no longer collecting"


class GroupFull(Conflict):
    title = "Group full"


class PotOverflow(Conflict):
    title = "More than the pot needs"
