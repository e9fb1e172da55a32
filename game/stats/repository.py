"""Reading and rebuilding the public counters (a Session in, never a commit)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from db.sql import is_postgres
from game.stats.models import SLOTS, PublicCounterSlot

FIGURES = ("users", "co2e_total_g", "trees_planted", "eggs_donated")


def counted(session: Session) -> dict[str, int]:
    """The figures as the sums over the slots (at most SLOTS rows)."""
    c = PublicCounterSlot
    row = session.execute(select(*(func.coalesce(func.sum(getattr(c, f)), 0)
                                   for f in FIGURES))).one()
    return {f: int(v) for f, v in zip(FIGURES, row, strict=True)}


def hold_counted_tables(session: Session) -> None:
    """Until the transaction ends, no write to the tables the counters follow (a writer that
    commits between a scan and the new counters would be lost). Waits for those in flight.
    balls: a settlement batch adds its CO2e to the counters (collects and steals wait too)."""
    if is_postgres(session):
        session.execute(text("LOCK TABLE users, carbon_days, balls, planting_orders, "
                             "charity_projects IN SHARE MODE"))


def replace_counts(session: Session, figures: dict[str, int]) -> None:
    """Slot 0 holding `figures`, the other slots zero."""
    session.execute(delete(PublicCounterSlot))
    zero = dict.fromkeys(FIGURES, 0)
    session.execute(insert(PublicCounterSlot), [{"slot": 0, **figures}] + [
        {"slot": i, **zero} for i in range(1, SLOTS)])
