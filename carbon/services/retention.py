"""Data with a life cycle, as one use case: the ledger months that are over get their
checkpoints, then every registered table gets its partitions ahead and loses what is past its
retention (db.partition_ops). The daily job and `flask partitions maintain` both run this."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from carbon.services.checkpoints import write_checkpoints
from db import UnitOfWork, partition_ops


@dataclass
class MaintenanceReport:
    checkpointed: list[date]
    partitions: partition_ops.Report

    def figures(self) -> dict:
        return {"checkpointed": len(self.checkpointed), **self.partitions.figures()}


def maintain(uow_factory: Callable[[], UnitOfWork], now: datetime,
             keep: Mapping[str, int]) -> MaintenanceReport:
    """Checkpoints first: a ledger month may be retired only once it is checkpointed."""
    months = write_checkpoints(uow_factory(), now)
    return MaintenanceReport(months, partition_ops.maintain(uow_factory, now.date(), keep))


def status(uow: UnitOfWork) -> list[dict]:
    """Per registered table: partitioned or not, its oldest and newest period, the rows its
    default partition caught (they move into their period when it is created)."""
    with uow:
        return partition_ops.status(uow.session)
