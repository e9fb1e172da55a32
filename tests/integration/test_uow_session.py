"""`uow.session` exists only inside `with uow:`; outside it says so instead of handing out None."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db import SharedTransaction
from db.uow import OutsideUnitOfWork


def test_the_session_of_a_unit_of_work_not_entered_is_refused_by_name(uow):
    with pytest.raises(OutsideUnitOfWork, match="outside `with uow:`"):
        uow.session.execute(text("SELECT 1"))
    assert uow.active is False


def test_the_session_is_gone_again_once_the_block_ends(uow):
    with uow:
        assert uow.active is True
        assert uow.session.scalar(text("SELECT 1")) == 1
    with pytest.raises(OutsideUnitOfWork):
        uow.commit()
    assert uow.active is False


def test_a_joined_unit_of_work_refuses_commit_outside_its_block(session_factory):
    with SharedTransaction(session_factory) as shared:
        joined = shared.unit_of_work()
        with pytest.raises(OutsideUnitOfWork):
            joined.commit()
        with joined:
            assert joined.session is shared.session
            joined.commit()
        with pytest.raises(OutsideUnitOfWork):
            joined.rollback()
