"""Units of work that join a SharedTransaction keep their own all-or-nothing, and nothing is
kept until the shared transaction commits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from carbon.models import User
from db import SharedTransaction
from tests.conftest import NOW


def add(uow, name: str, commit: bool = True, fail: bool = False) -> None:
    with uow:
        uow.session.add(User(external_id=name, timezone="UTC", created_at=NOW))
        uow.session.flush()
        if fail:
            raise RuntimeError("the use case refused")
        if commit:
            uow.commit()


def names(session) -> list[str]:
    return sorted(session.scalars(select(User.external_id)))


def test_a_block_left_without_commit_is_rolled_back_alone(session_factory, session):
    with SharedTransaction(session_factory) as tx:
        add(tx.unit_of_work(), "kept")
        add(tx.unit_of_work(), "not-committed", commit=False)
        with pytest.raises(RuntimeError):
            add(tx.unit_of_work(), "refused", fail=True)
        add(tx.unit_of_work(), "kept-too")
        tx.commit()
    assert names(session) == ["kept", "kept-too"]


def test_what_a_block_does_after_its_commit_is_rolled_back_at_its_end(session_factory, session):
    with SharedTransaction(session_factory) as tx:
        uow = tx.unit_of_work()
        with uow:
            uow.session.add(User(external_id="committed", timezone="UTC", created_at=NOW))
            uow.commit()
            uow.session.add(User(external_id="after-commit", timezone="UTC", created_at=NOW))
            uow.session.flush()
        tx.commit()
    assert names(session) == ["committed"]


def test_nothing_is_kept_when_the_owner_leaves_without_commit(session_factory, session):
    with SharedTransaction(session_factory) as tx:
        add(tx.unit_of_work(), "committed-by-its-block")
    assert names(session) == []
