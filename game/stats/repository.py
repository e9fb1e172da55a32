"""Reading and rebuilding the public counters (a Session in, never a commit)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from game.stats.models import PublicCounterSlot

FIGURES = ("users", "co2e_total_g", "trees_planted", "eggs_donated")


def counted(session: Session) -> dict[str, int]:
    """The figures as the sums over the slots (at most SLOTS rows)."""
    c = PublicCounterSlot
    row = session.execute(select(*(func.coalesce(func.sum(getattr(c, f)), 0)
                                   for f in FIGURES))).one()
    return {f: int(v) for f, v in zip(FIGURES, row, strict=True)}


def replace_counts(session: Session, figures: dict[str, int]) -> None:
    """All slots emptied, slot 0 holding `figures`."""
    session.execute(delete(PublicCounterSlot))
    session.execute(insert(PublicCounterSlot).values(slot=0, **figures))
