"""The stream's mark and its gaps: a row committed after the mark passed its id is still
published, once; an id awaited past the gap window is given up on; a row the broker did not
confirm is sent again, however long that takes, and the rows after it are not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select

from carbon.outbox_models import OutboxEvent
from carbon.services import outbox, stream
from carbon.stream_models import StreamGap
from tests.conftest import NOW
from tests.factories import UserFactory

WINDOW = timedelta(minutes=15)
STREAM = "canopy.test.gaps"


def run(uow, now=NOW, confirm=lambda m: True, limit=100):
    """One publisher run against a broker that confirms what `confirm` accepts."""
    due = stream.pending(uow, STREAM, limit)
    sent = [m.id for m in due.messages if confirm(m)]
    return sent, stream.record_published(uow, due, set(sent), now, WINDOW)


def record(session, n: int) -> list[int]:
    user = UserFactory()
    for i in range(n):
        outbox.record(session, "watered", NOW, user_id=user.id, n=i)
    session.flush()
    return list(session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)))


def take_out(session, row_id: int) -> dict:
    """The row as if its transaction had not committed yet (it is put back later)."""
    t = OutboxEvent.__table__
    row = dict(session.execute(select(t).where(t.c.id == row_id)).mappings().one())
    session.execute(delete(t).where(t.c.id == row_id))
    return row


def gaps(session, since: int) -> list[tuple[int, int]]:
    """The gaps from `since` on (on PostgreSQL, earlier tests' rolled-back rows took the ids
    before it: a new stream awaits them as one more gap, until the window)."""
    return [(g.first_id, g.last_id) for g in session.scalars(
        select(StreamGap).where(StreamGap.stream == STREAM, StreamGap.first_id >= since)
        .order_by(StreamGap.first_id))]


def test_a_row_committed_after_the_mark_passed_it_is_published_on_a_later_run(session, uow):
    a, b, c = record(session, 3)
    late = take_out(session, b)
    sent, progress = run(uow)
    assert (sent, progress.mark, progress.gap_ids, gaps(session, a)) == ([a, c], c, a, [(b, b)])
    session.execute(insert(OutboxEvent.__table__), late)
    sent, progress = run(uow, NOW + timedelta(seconds=5))
    assert (sent, progress.mark, gaps(session, a)) == ([b], c, [])
    assert run(uow, NOW + timedelta(seconds=10))[0] == []


def test_an_id_awaited_past_the_window_is_given_up(session, uow):
    a, b, c, d = record(session, 4)
    take_out(session, b)
    take_out(session, c)
    run(uow)
    assert gaps(session, a) == [(b, c)]
    assert run(uow, NOW + WINDOW)[1].given_up_ids == 0
    sent, progress = run(uow, NOW + WINDOW + timedelta(seconds=1))
    assert (sent, progress.given_up_ids, progress.gap_ids) == ([], a - 1 + 2, 0)


def test_a_row_not_confirmed_is_sent_again_and_only_it(session, uow):
    ids = record(session, 4)
    sent, progress = run(uow, confirm=lambda m: m.id != ids[2])
    assert (sent, progress.mark, progress.lag_s) == (ids[:2] + ids[3:], ids[3], 0.0)
    assert gaps(session, ids[0]) == [(ids[2], ids[2])]
    later = NOW + WINDOW + timedelta(minutes=1)  # still refused past the window: still kept
    assert run(uow, later, confirm=lambda m: False)[1].lag_s == (later - NOW).total_seconds()
    assert gaps(session, ids[0]) == [(ids[2], ids[2])]
    sent, progress = run(uow, later + timedelta(seconds=2))
    assert (sent, progress.mark, gaps(session, ids[0])) == ([ids[2]], ids[3], [])
    assert run(uow, later + timedelta(seconds=4))[0] == []


def test_the_lag_is_the_age_of_the_oldest_unsent_row(session, uow):
    record(session, 2)
    assert run(uow, NOW + timedelta(seconds=40), confirm=lambda m: False)[1].lag_s == 40.0


def test_a_stale_publisher_records_nothing(session, uow):
    (a,) = record(session, 1)
    due = stream.pending(uow, STREAM, 10)
    run(uow)
    progress = stream.record_published(uow, due, {a}, NOW, WINDOW)
    assert progress.raced and progress.published == 0


@pytest.mark.postgres_only
def test_ids_committed_out_of_order_are_all_published_once(is_postgres, engine,
                                                          committed_uow):
    """Two real transactions: the one that took the lower id commits last."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: SQLite's writers hold the write lock from their first "
                    "statement to their commit, so its ids always commit in order")
    with committed_uow:
        user = UserFactory.build()
        committed_uow.session.add(user)
        committed_uow.commit()
    slow = engine.connect()
    slow_tx = slow.begin()
    slow.execute(insert(OutboxEvent.__table__), {"type": "watered", "occurred_at": NOW,
                                                 "user_id": user.id, "payload": {"n": 1}})
    with committed_uow:
        outbox.record(committed_uow.session, "watered", NOW, user_id=user.id, n=2)
        committed_uow.commit()
    first, _ = run(committed_uow)
    slow_tx.commit()
    slow.close()
    second, progress = run(committed_uow, NOW + timedelta(seconds=2))
    assert len(first) == len(second) == 1 and second[0] < first[0]
    assert run(committed_uow, NOW + timedelta(seconds=4))[0] == []
    assert gaps_of(committed_uow, second[0]) == []


def gaps_of(uow, since: int) -> list[tuple[int, int]]:
    with uow:
        return gaps(uow.session, since)
