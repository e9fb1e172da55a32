"""Ledger accounts are created on first use, once, however many transactions use one first."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from carbon.models import LedgerAccount
from carbon.services import ledger
from db import UnitOfWork
from tests.concurrency import at_once
from tests.jobs.conftest import add_user


def _first_use(engine, code: str, user_id: int | None):
    def use() -> int:
        uow = UnitOfWork(sessionmaker(bind=engine))
        with uow:
            found = ledger.account(uow.session, code, user_id)
            uow.commit()
        return found
    return use


@pytest.mark.parametrize("owner", ["system", "user"])
def test_many_first_uses_at_once_make_one_account(committed_uow, engine, owner):
    """Two settlements starting at once both created the system account 'issued': the loser
    met the insert on a unique key its ON CONFLICT does not arbitrate and failed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    user_id = None
    if owner == "user":
        with committed_uow:
            user_id = add_user(committed_uow.session).id
            committed_uow.commit()
    for attempt in range(5):  # a race: each attempt with an account no one has used yet
        code = f"race_{owner}_{attempt}"
        ids = at_once([_first_use(engine, code, user_id)] * 8)
        assert len(set(ids)) == 1
        with committed_uow:
            assert committed_uow.session.scalar(select(func.count()).select_from(
                LedgerAccount).where(LedgerAccount.code == code)) == 1
