"""What can go wrong on the farm, in words a client developer understands (no HTTP here)."""

from __future__ import annotations

from carbon.errors import Conflict, InvalidInput, NotFound


class TroughNotEmpty(Conflict):
    title = "Trough not empty"


class NotEnoughFeed(Conflict):
    title = "Not enough feed"


class ChickenBusy(Conflict):
    """The chicken is eating (at home or at a friend's) and cannot go visiting."""

    title = "Chicken not hungry"


class FriendTroughEmpty(Conflict):
    title = "Friend's trough is empty"


class CannotVisitSelf(InvalidInput):
    title = "Cannot visit yourself"


class NoVisitors(Conflict):
    title = "No visitors"


class QuizAlreadyAnswered(Conflict):
    title = "Quiz already answered today"


class NoQuizQuestion(NotFound):
    title = "No quiz question"


class QuizQuestionNotFound(NotFound):
    title = "Quiz question not found"


class NotEnoughEggs(Conflict):
    title = "Not enough eggs"


class CharityProjectNotFound(NotFound):
    title = "Charity project not found"


class CharityProjectClosed(Conflict):
    title = "Charity project closed"


class TargetLocked(Conflict):
    title = "Egg target fixed"


class DonationRecordNotFound(NotFound):
    title = "Donation record not found"


class DonationAlreadyConfirmed(Conflict):
    title = "Donation already confirmed"


class FarmBusy(Conflict):
    """The chicken moved while the request was waiting for it; a retry will see where it is."""

    title = "Farm busy"
