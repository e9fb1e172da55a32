"""What can go wrong on the farm, in words a client developer understands (no HTTP here)."""

from __future__ import annotations

from carbon.errors import Conflict, InvalidInput, NotFound


class TroughNotEmpty(Conflict):
    """The chicken is still eating; feed again when the trough is empty."""

    title = "Trough not empty"
    code = "trough_not_empty"


class NotEnoughFeed(Conflict):
    """The feed store holds less than one serving (180 g)."""

    title = "Not enough feed"
    code = "not_enough_feed"


class ChickenBusy(Conflict):
    """The chicken is eating (at home or at a friend's) and cannot go visiting."""

    title = "Chicken not hungry"
    code = "chicken_busy"


class FriendTroughEmpty(Conflict):
    """The friend's trough is empty; there is nothing to eat there."""

    title = "Friend's trough is empty"
    code = "friend_trough_empty"


class CannotVisitSelf(InvalidInput):
    """Your chicken cannot visit your own trough."""

    title = "Cannot visit yourself"
    code = "cannot_visit_self"


class NoVisitors(Conflict):
    """No chicken is eating at your trough."""

    title = "No visitors"
    code = "no_visitors"


class QuizAlreadyAnswered(Conflict):
    """Today's quiz question was already answered."""

    title = "Quiz already answered today"
    code = "quiz_already_answered"


class NoQuizQuestion(NotFound):
    """There is no quiz question today."""

    title = "No quiz question"
    code = "no_quiz_question"


class QuizQuestionNotFound(NotFound):
    """No quiz question with that id."""

    title = "Quiz question not found"
    code = "quiz_question_not_found"


class NotEnoughEggs(Conflict):
    """You hold fewer eggs than you want to donate."""

    title = "Not enough eggs"
    code = "not_enough_eggs"


class CharityProjectNotFound(NotFound):
    """No charity project with that id."""

    title = "Charity project not found"
    code = "charity_project_not_found"


class CharityProjectClosed(Conflict):
    """The charity project no longer takes donations."""

    title = "Charity project closed"
    code = "charity_project_closed"


class TargetLocked(Conflict):
    """The egg target cannot change once eggs were donated to the project."""

    title = "Egg target fixed"
    code = "target_locked"


class DonationRecordNotFound(NotFound):
    """No donation record with that id for this partner."""

    title = "Donation record not found"
    code = "donation_record_not_found"


class DonationAlreadyConfirmed(Conflict):
    """The donation record was already confirmed."""

    title = "Donation already confirmed"
    code = "donation_already_confirmed"


class FarmBusy(Conflict):
    """The chicken moved while the request was waiting for it; a retry will see where it is."""

    title = "Farm busy"
    code = "farm_busy"
