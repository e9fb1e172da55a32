"""Spent partner signatures: once per key, forgotten when their window has passed, and one
winner when the same signature arrives on several connections at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from carbon.models import PartnerSignature
from carbon.services.partners import create_partner, use_signature
from db import UnitOfWork
from tests.concurrency import at_once
from tests.conftest import NOW

SIG, OTHER = "a" * 64, "b" * 64
UNTIL = NOW + timedelta(seconds=300)


def stored(session) -> int:
    return session.scalar(select(func.count()).select_from(PartnerSignature))


def test_a_signature_is_used_once_per_key(uow, session):
    one, two = (create_partner(uow, n, ["admin"], NOW) for n in ("one", "two"))
    assert use_signature(uow, one.id, SIG, UNTIL, NOW)
    assert not use_signature(uow, one.id, SIG, UNTIL, NOW + timedelta(seconds=299))
    assert use_signature(uow, two.id, SIG, UNTIL, NOW)
    assert stored(session) == 2


def test_signatures_past_their_window_are_purged_by_the_next_use(uow, session):
    partner = create_partner(uow, "one", ["admin"], NOW)
    use_signature(uow, partner.id, SIG, UNTIL, NOW)
    use_signature(uow, partner.id, OTHER, UNTIL, UNTIL)  # SIG's last valid instant: kept
    assert stored(session) == 2
    later = UNTIL + timedelta(seconds=1)
    use_signature(uow, partner.id, "c" * 64, later + timedelta(seconds=300), later)
    assert set(session.scalars(select(PartnerSignature.signature))) == {"c" * 64}


@pytest.mark.postgres_only
def test_the_same_signature_on_eight_connections_acts_once(engine, committed_uow, is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (real concurrent transactions)")
    partner = create_partner(committed_uow, "racer", ["admin"], NOW)

    def attempt():
        return use_signature(UnitOfWork(sessionmaker(bind=engine, expire_on_commit=False)),
                             partner.id, SIG, UNTIL, NOW)

    assert sorted(at_once([attempt] * 8)) == [False] * 7 + [True]
