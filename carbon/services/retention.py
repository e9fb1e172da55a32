"""Data with a life cycle, as one use case: the ledger months that are over get their
checkpoints, then every registered table gets its partitions ahead and loses what is past its
retention (db.partition_ops). The daily job and `flask partitions maintain` both run this."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from carbon.services.checkpoints import write_checkpoints
from carbon.services.earnings import purge_quarters
from db import UnitOfWork, partition_ops


@dataclass
class MaintenanceReport:
    checkpointed: list[date]
    partitions: partition_ops.Report
    earned_quarters_purged: int = 0

    def figures(self) -> dict:
        return {"checkpointed": len(self.checkpointed), **self.partitions.figures(),
                "earned_quarters_purged": self.earned_quarters_purged}


def maintain(uow_factory: Callable[[], UnitOfWork], now: datetime,
             keep: Mapping[str, int]) -> MaintenanceReport:
    """Checkpoints first: a ledger month may be retired only once it is checkpointed. Last,
    the leaderboard's quarters that no board reads any more."""
    months = write_checkpoints(uow_factory(), now)
    partitions = partition_ops.maintain(uow_factory, now.date(), keep)
    with uow_factory() as uow:
        quarters = purge_quarters(uow.session, now)
        uow.commit()
    return MaintenanceReport(months, partitions, quarters)


def status(uow: UnitOfWork) -> list[dict]:
    """Per registered table: partitioned or not, its oldest and newest period, the rows its
    default partition caught (they move into their period when it is created)."""
    with uow:
        return partition_ops.status(uow.session)
