"""A late night settled while the roll-up copies its month: counted once (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from carbon.history_models import CarbonDay
from carbon.models import ActivityEvent, User
from carbon.services import co2e_totals
from carbon.services.catalog import seed_default_methodology
from carbon.services.lookups import user_totals
from carbon.services.settlement import settle_day
from db import UnitOfWork
from game.stats.repository import counted
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.integration.test_carbon_days import APRIL_9, DAY, on


def test_a_late_night_settled_while_its_month_rolls_up_is_counted_once(committed_uow, engine):
    """Batches before the roll-up write balls only (it copies them), batches after it write
    carbon_days and the users' totals themselves: whatever the interleaving, once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    seed_default_methodology(committed_uow, NOW)
    late = date(2026, 3, 20)
    _users_paying_on(committed_uow, 30, (DAY, late))
    settle_day(committed_uow, DAY, NOW)
    at_once([lambda: settle_day(UnitOfWork(sessionmaker(bind=engine)), late,
                                datetime(2026, 4, 20, tzinfo=UTC), batch_users=2),
             lambda: co2e_totals.roll_up(UnitOfWork(sessionmaker(bind=engine)), APRIL_9)])
    with committed_uow:
        s = committed_uow.session
        assert s.scalar(select(func.count()).select_from(CarbonDay)
                        .where(CarbonDay.local_date == late)) == 30
        totals = set(s.scalars(select(User.co2e_total_g)))
        assert totals == {10 + 10}  # March rolled up: both nights, once each
        assert user_totals(s)[1] == counted(s)["co2e_total_g"] == 30 * 20


def _users_paying_on(uow, n: int, days: tuple[date, ...]) -> None:
    with uow:
        s = uow.session
        for i in range(n):
            user = User(external_id=f"late-{i}", timezone="Asia/Shanghai", co2e_total_g=0,
                        created_at=NOW)
            s.add(user)
            s.flush()
            for day in days:
                for j in range(2):
                    s.add(ActivityEvent(
                        source="t", source_event_id=f"{i}-{day}-{j}", user_id=user.id,
                        activity_type="offline_payment", quantity=1, occurred_at=on(day),
                        local_date=day, attributes={}, payload_hash="h", dedupe_key=None,
                        received_at=NOW))
        uow.commit()
