"""The daily quiz: one question a local day from the bank operators manage; a right answer earns
180 g of feed; one try a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from carbon.domain.account import local_date_of
from db import UnitOfWork
from game.farm import domain
from game.farm import repository as repo
from game.farm.errors import NoQuizQuestion, QuizAlreadyAnswered
from game.farm.models import QuizAnswer, QuizQuestion
from game.farm.services.feed import credit_feed

QUIZ_SOURCE = "quiz"


@dataclass(frozen=True)
class QuizToday:
    date: date
    question_id: int
    question: str
    choices: list[str]
    answered: bool
    correct: bool | None


@dataclass(frozen=True)
class QuizResult:
    date: date
    question_id: int
    correct: bool
    correct_answer: str
    feed_g: int
    lost_g: int  # of feed_g, what the full store could not hold
    feed_store_g: int


def _question_of(session: Session, day: date) -> QuizQuestion:
    questions = repo.active_questions(session)
    if not questions:
        raise NoQuizQuestion("There is no quiz question today: the question bank is empty.")
    return questions[domain.quiz_index(day, len(questions))]


def quiz_today(uow: UnitOfWork, user_id: int, tz: str, now: datetime) -> QuizToday:
    day = local_date_of(now, tz)
    with uow:
        s = uow.session
        done = repo.quiz_answer(s, user_id, day)
        q = s.get_one(QuizQuestion, done.question_id) if done else _question_of(s, day)
        return QuizToday(day, q.id, q.question, list(q.choices), done is not None,
                         done.correct if done else None)


def answer_quiz(uow: UnitOfWork, user_id: int, tz: str, answer: str, now: datetime) -> QuizResult:
    """Answer today's question (the user's local day); a second try the same day is refused."""
    day = local_date_of(now, tz)
    with uow:
        s = uow.session
        repo.ensure_farms(s, [user_id], now)
        farm = repo.lock_farms(s, [user_id], repo.LOCK_UPDATE)[user_id]  # one try at a time
        if (done := repo.quiz_answer(s, user_id, day)) is not None:
            verdict = "right" if done.correct else "wrong"
            raise QuizAlreadyAnswered(f"You already answered today's quiz ({verdict}); the next "
                                      "question comes at midnight your time.")
        q = _question_of(s, day)
        correct = domain.normalized_answer(answer) == domain.normalized_answer(q.answer)
        s.add(QuizAnswer(user_id=user_id, local_date=day, question_id=q.id,
                         answer=answer[:200], correct=correct, created_at=now))
        credited = credit_feed(s, day, QUIZ_SOURCE, {user_id: (1, domain.QUIZ_REWARD_G)},
                               now).get(user_id) if correct else None
        store = farm.feed_store_g  # credit_feed updated this same row object
        uow.commit()
    return QuizResult(day, q.id, correct, q.answer, credited.feed_g if credited else 0,
                      credited.lost_g if credited else 0, store)
