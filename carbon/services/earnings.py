"""Energy earned out of balls (collected, including watered balls, plus stolen), counted in
the transaction that moves it, so that a ranking reads a few rows per user.

record_earned runs beside each ledger posting that takes energy out of the balls account into
a user's available energy (collect, steal); board reads any window whose ends fall on a
quarter hour (every local midnight today) from those totals in one statement, and falls back
to the ledger otherwise. The ledger stays the truth: the totals can be rebuilt from it (see
migration 0014). Quarters are kept QUARTERS_KEPT: purge_quarters drops older ones, which no
day or week board reads (an older window is read from the ledger), so that the table, and a
board's cost, stay as they are a week after a deployment starts."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Subquery,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from carbon.earned_models import QUARTER_SECONDS, EarnedQuarter, EarnedTotal
from carbon.models import User
from carbon.services.lookups import energy_from_balls

_TABLES = (EarnedQuarter.__table__, EarnedTotal.__table__)
# A day or week board reads quarters from the start of the viewer's local day or week, never
# more than 7 days back; one more day of margin for the purge.
QUARTERS_KEPT = timedelta(days=8)


def quarter_of(instant: datetime) -> int:
    """The quarter hour holding `instant`: floor(unix seconds / 900)."""
    return int(instant.timestamp()) // QUARTER_SECONDS


@cache
def _upserts(dialect_name: str) -> tuple:
    """INSERT ... ON CONFLICT DO UPDATE SET earned_g = earned_g + excluded.earned_g, per table,
    built once per dialect: a concurrent first earning of the same grain adds, never fails.
    PostgreSQL runs the two as one statement (a data-modifying CTE): one round trip in the
    rush's steals. Their order inside it does not matter: only the earner's own transactions
    write these rows, and those already queue on the earner's ledger account row."""
    if dialect_name == "postgresql":
        return (text(_PG_BOTH),)
    out = []
    for table in _TABLES:
        stmt = sqlite.insert(table)
        out.append(stmt.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={"earned_g": table.c.earned_g + stmt.excluded.earned_g}))
    return tuple(out)


_PG_BOTH = """
WITH q AS (INSERT INTO earned_quarters (user_id, quarter, earned_g)
           VALUES (:user_id, :quarter, :earned_g) ON CONFLICT (user_id, quarter)
           DO UPDATE SET earned_g = earned_quarters.earned_g + excluded.earned_g)
INSERT INTO earned_totals (user_id, earned_g) VALUES (:user_id, :earned_g)
ON CONFLICT (user_id) DO UPDATE SET earned_g = earned_totals.earned_g + excluded.earned_g
"""


def record_earned(session: Session, user_id: int, grams: int, now: datetime) -> None:
    """Add `grams` the user just earned to their quarter and total. Does not commit; call
    it after the posting that credits the user's account (which locks that account's row)."""
    if grams <= 0:
        return
    row: dict[str, object] = {"user_id": user_id, "earned_g": grams}
    quarter: dict[str, object] = {"quarter": quarter_of(now)}
    upserts = _upserts(session.get_bind().dialect.name)
    if len(upserts) == 1:
        session.execute(upserts[0], {**row, **quarter})
        return
    for stmt, grain in zip(upserts, (quarter, {}), strict=True):
        session.execute(stmt, {**row, **grain})


def energy_earned(session: Session, user_ids: list[int], start: datetime,
                  end: datetime, now: datetime) -> dict[int, int]:
    """Grams each user earned in [start, end) (see board; `now` says which quarters are
    still kept)."""
    if not user_ids:
        return {}
    rows = board(session, _LISTED, {"ids": sorted(set(user_ids))}, start, end, now)
    return {uid: g for uid, _, g in rows if g}


_LISTED = select(User.id.label("id")).where(
    User.id.in_(bindparam("ids", expanding=True))).subquery("listed")


def board(session: Session, members: Subquery, params: dict[str, Any], start: datetime | None,
          end: datetime | None, now: datetime) -> list[tuple[int, str, int]]:
    """(user id, external id, grams earned) of each user whose id the subquery `members`
    (a column `id`, its parameters in `params`) selects, in one statement: ever earned when
    start is None, else in [start, end), from earned_quarters. A window that starts before the
    quarters kept at `now` (or off the quarter hour) is read from the ledger. Pass a
    module-level `members`: one statement is built per subquery."""
    if start is None or end is None:
        return _rows(session, _board_statement(members, "total"), params)
    if not _kept(start, end, now):
        return _from_ledger(session, members, params, start, end)  # an odd historic offset
    return _rows(session, _board_statement(members, "quarters"), {**params, **_window(start, end)})


def _kept(start: datetime, end: datetime, now: datetime) -> bool:
    """Whether [start, end) is whole quarters that earned_quarters still holds at `now`."""
    return not (start.timestamp() % QUARTER_SECONDS or end.timestamp() % QUARTER_SECONDS
                or start < now - QUARTERS_KEPT)


def _rows(session: Session, stmt: Select[*tuple[Any, ...]], params: dict[str, Any]) -> list[tuple[int, str, int]]:
    # .all(): one fetchall; iterating the result fetched the 201 rows of a board one by one.
    return [(uid, ext, int(g)) for uid, ext, g in session.execute(stmt, params).all()]


def _from_ledger(session: Session, members: Subquery, params: dict[str, Any], start: datetime,
                 end: datetime) -> list[tuple[int, str, int]]:
    users = session.execute(select(User.id, User.external_id)
                            .join(members, members.c.id == User.id), params).all()
    earned = energy_from_balls(session, [uid for uid, _ in users], start, end)
    return [(uid, ext, earned.get(uid, 0)) for uid, ext in users]


def _window(start: datetime, end: datetime) -> dict[str, Any]:
    return {"q0": quarter_of(start), "q3": quarter_of(end)}


@cache
def _board_statement(members: Subquery, kind: str) -> Select[*tuple[Any, ...]]:
    """One correlated sum per member: its total, or one range of earned_quarters' primary key,
    which carries earned_g (INCLUDE on PostgreSQL, migration 0027): index-only, no heap page,
    no bitmap. A week is at most 672 quarters of a member's (a few leaf pages), typically two
    dozen on one page: one descent per member. (The whole UTC days inside a window were read
    from earned_days, the edges from quarters: three descents per member, 6 buffers against 2
    in bench/leaderboard.py.)"""
    u, q, t = User.__table__.c, EarnedQuarter.__table__.c, EarnedTotal.__table__.c
    earned: ColumnElement[Any]
    if kind == "total":
        earned = (select(t.earned_g).where(t.user_id == u.id)).scalar_subquery()
    else:
        earned = select(func.sum(q.earned_g)).where(
            q.user_id == u.id, q.quarter >= bindparam("q0"),
            q.quarter < bindparam("q3")).scalar_subquery()
    return select(u.id, u.external_id, func.coalesce(earned, 0).label("earned_g")).join(
        members, members.c.id == u.id)


def ranked_json(session: Session, members: Subquery, params: dict[str, Any],
                start: datetime | None, end: datetime | None, now: datetime,
                me_id: int) -> str | None:
    """On PostgreSQL, board's users ranked by grams (highest first, equal grams share a rank,
    then by id) as a JSON array of {rank, user_id, energy_g, me}, built by the database in the
    same statement: the app then handles one string instead of a row per user. None where
    the database cannot (SQLite) or board would read the ledger."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    if start is None or end is None:
        kind, window = "total", {}
    elif not _kept(start, end, now):
        return None
    else:
        kind, window = "quarters", _window(start, end)
    doc = session.execute(_ranked_json_statement(members, kind),
                          {**params, **window, "ranked_me": me_id}).scalar_one()
    return str(doc)


@cache
def _ranked_json_statement(members: Subquery, kind: str) -> Select[tuple[Any]]:
    board = _board_statement(members, kind).subquery("board")
    ranked = select(board, func.rank().over(order_by=board.c.earned_g.desc()).label("rank")
                    ).subquery("ranked")
    item = func.json_build_object(
        "rank", ranked.c.rank, "user_id", ranked.c.external_id, "energy_g", ranked.c.earned_g,
        "me", ranked.c.id == bindparam("ranked_me", type_=BigInteger))
    items = func.json_agg(aggregate_order_by(item, ranked.c.earned_g.desc(), ranked.c.id))
    return select(cast(func.coalesce(items, literal_column("'[]'::json")), Text))


def purge_quarters(session: Session, now: datetime) -> int:
    """Delete the quarters older than QUARTERS_KEPT before `now` (no board reads them: an
    older window comes from the ledger); the number deleted. Without it a year of quarters
    made every board's key ranges deeper (bench/leaderboard.py). Does not commit."""
    horizon = quarter_of(now - QUARTERS_KEPT)
    table = EarnedQuarter.__table__
    result = session.execute(delete(table).where(table.c.quarter < horizon))
    return int(getattr(result, "rowcount", 0) or 0)
