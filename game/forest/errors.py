"""What can go wrong in the forest, in words a client developer understands (no HTTP here)."""

from __future__ import annotations

from carbon.errors import Conflict, Forbidden, InvalidInput, NotFound


class CannotBefriendSelf(InvalidInput):
    """You cannot send a friend request to yourself."""

    title = "Cannot befriend yourself"
    code = "cannot_befriend_self"


class TooManyAwaitedRequests(Conflict):
    title = "Too many requests waiting"
    code = "too_many_awaited_requests"


class NotFriends(Forbidden):
    """Only friends may do this (see, steal, water, visit)."""

    title = "Not friends"
    code = "not_friends"


class FriendshipNotFound(NotFound):
    """You have no friendship or request with that user."""

    title = "No such friend or request"
    code = "friendship_not_found"


class CannotStealOwnBall(Forbidden):
    """A ball of your own is collected, not stolen."""

    title = "Own ball"
    code = "cannot_steal_own_ball"


class BallNotStealable(Conflict):
    """The ball came from watering and cannot be stolen."""

    title = "Ball cannot be stolen"
    code = "ball_not_stealable"


class Shielded(Conflict):
    """The owner is protected by a shield; their balls cannot be stolen now."""

    title = "Protected by a shield"
    code = "shielded"


class AlreadyStolen(Conflict):
    """You already stole from this ball (once per friend per ball)."""

    title = "Already stolen"
    code = "already_stolen"


class NothingLeftToSteal(Conflict):
    """Thieves have already taken the most a ball allows (half of it)."""

    title = "Nothing left to steal"
    code = "nothing_left_to_steal"


class InvalidWaterAmount(InvalidInput):
    """Watering gives 10, 18, 33 or 66 g."""

    title = "Invalid amount of water"
    code = "invalid_water_amount"


class WateringLimitReached(Conflict):
    """You already watered this friend 3 times today."""

    title = "Watering limit reached"
    code = "watering_limit_reached"


class ProjectNotFound(NotFound):
    """No planting project with that id."""

    title = "Project not found"
    code = "project_not_found"


class ProjectClosed(Conflict):
    """The planting project no longer takes orders; nothing was taken."""

    title = "Project closed"
    code = "project_closed"


class BudgetExhausted(Conflict):
    """The project has no trees or m2 left this season; nothing was taken."""

    title = "No budget left"
    code = "budget_exhausted"


class InvalidProject(InvalidInput):
    """The project's values break a rule (unknown partner, duplicate code)."""

    title = "Invalid project"
    code = "invalid_project"


class OrderNotFound(NotFound):
    """No planting order with that id for this partner."""

    title = "Planting order not found"
    code = "order_not_found"


class OrderAlreadyDecided(Conflict):
    """The order was already confirmed or rejected."""

    title = "Order already decided"
    code = "order_already_decided"


class InvalidEvidence(InvalidInput):
    """The planting evidence is incomplete or out of range."""

    title = "Invalid evidence"
    code = "invalid_evidence"


class InvalidQuantity(InvalidInput):
    """The quantity or amount is out of its allowed range."""

    title = "Invalid quantity"
    code = "invalid_quantity"


class DutyAlreadyExchanged(Conflict):
    """You already hold the duty certificate for that year."""

    title = "Duty certificate already issued"
    code = "duty_already_exchanged"


class NotEnoughCertificates(Conflict):
    """Three unused tree certificates of that year are needed."""

    title = "Not enough tree certificates"
    code = "not_enough_certificates"


class GroupNotFound(NotFound):
    """No co-planting group with that id."""

    title = "Group not found"
    code = "group_not_found"


class NotGroupMember(Forbidden):
    """Only members of the group may do this."""

    title = "Not a member of this group"
    code = "not_group_member"


class GroupNotOpen(Conflict):
    """The group has already placed its order."""

    title = "Group no longer collecting"
    code = "group_not_open"


class GroupFull(Conflict):
    """The group has as many members as it may."""

    title = "Group full"
    code = "group_full"


class PotOverflow(Conflict):
    """The contribution is more than the pot still needs."""

    title = "More than the pot needs"
    code = "pot_overflow"
