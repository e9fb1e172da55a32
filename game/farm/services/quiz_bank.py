"""The quiz question bank, managed by operators; a few default questions are seeded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from carbon.errors import InvalidInput
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.farm import domain
from game.farm import repository as repo
from game.farm.errors import QuizQuestionNotFound
from game.farm.models import QuizQuestion

MAX_CHOICES = 6


@dataclass(frozen=True)
class QuestionView:
    id: int
    question: str
    choices: list[str]
    answer: str
    active: bool
    created_at: datetime


def _view(q: QuizQuestion) -> QuestionView:
    return QuestionView(q.id, q.question, list(q.choices), q.answer, q.active, q.created_at)


def _check(question: str, choices: list[str], answer: str) -> None:
    problems = {}
    if not question.strip():
        problems["question"] = ["must not be blank"]
    if len(choices) < 2 or len(choices) > MAX_CHOICES or not all(c.strip() for c in choices):
        problems["choices"] = [f"2 to {MAX_CHOICES} non-blank choices"]
    wanted = domain.normalized_answer(answer)
    if not wanted or wanted not in {domain.normalized_answer(c) for c in choices}:
        problems["answer"] = ["must be one of the choices"]
    if problems:
        raise InvalidInput("The question is not usable: " + ", ".join(
            f"{k} {v[0]}" for k, v in problems.items()) + ".", problems)


def create_question(uow: UnitOfWork, question: str, choices: list[str], answer: str,
                    active: bool, now: datetime) -> QuestionView:
    _check(question, choices, answer)
    with uow:
        q = QuizQuestion(question=question.strip(), choices=[c.strip() for c in choices],
                         answer=answer.strip(), active=active, created_at=now)
        uow.session.add(q)
        uow.session.flush()
        view = _view(q)
        uow.commit()
    return view


def update_question(uow: UnitOfWork, question_id: int, changes: dict) -> QuestionView:
    """Change any of question, choices, answer, active (deactivate rather than delete: answers
    given keep pointing at their question)."""
    with uow:
        q = uow.session.get(QuizQuestion, question_id)
        if q is None:
            raise QuizQuestionNotFound(f"No quiz question {question_id}.")
        merged = {"question": q.question, "choices": list(q.choices), "answer": q.answer,
                  "active": q.active, **changes}
        _check(merged["question"], merged["choices"], merged["answer"])
        q.question, q.answer = merged["question"].strip(), merged["answer"].strip()
        q.choices, q.active = [c.strip() for c in merged["choices"]], merged["active"]
        view = _view(q)
        uow.commit()
    return view


def list_questions(uow: UnitOfWork, after: Key | None, limit: int) -> Page[QuestionView]:
    with uow:
        rows, next_key = cut(repo.questions_page(uow.session, after_id(after), limit + 1), limit,
                             lambda q: (q.id,))
        return Page([_view(q) for q in rows], next_key)


DEFAULT_QUESTIONS = [
    ("Which shrub is planted in China's deserts to hold back the sand?",
     ["Saxaul", "Banana", "Rice"], "Saxaul"),
    ("For a 10 km trip to work, which emits less CO2 per person?",
     ["The metro", "Driving alone"], "The metro"),
    ("What is best done with a parcel box you no longer need?",
     ["Return it at a parcel station", "Throw it away", "Burn it"],
     "Return it at a parcel station"),
    ("How long does a chicken take to eat one 180 g portion of feed?",
     ["1 hour", "4 h 40 min", "12 hours"], "4 h 40 min"),
    ("How many grams of feed does a chicken eat to lay one egg?",
     ["180 g", "900 g", "1,800 g"], "900 g"),
]


def seed_quiz_questions(uow: UnitOfWork, now: datetime) -> int:
    """Add the default questions not in the bank yet (matched by their text)."""
    with uow:
        s = uow.session
        known = set(s.scalars(select(QuizQuestion.question)))
        added = 0
        for question, choices, answer in DEFAULT_QUESTIONS:
            if question not in known:
                s.add(QuizQuestion(question=question, choices=choices, answer=answer,
                                   active=True, created_at=now))
                added += 1
        uow.commit()
    return added
