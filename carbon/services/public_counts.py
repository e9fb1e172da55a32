"""The public counters (users, CO2e, trees, eggs) where triggers cannot keep them.

On SQLite and PostgreSQL triggers on users, carbon_days, planting_orders and charity_projects
add to public_counters in the writing transaction. On Citus those tables are distributed or
reference tables whose triggers would fire on the workers, where public_counters (a table of
the coordinator) does not exist, so migration 0026 drops them and the services that write
those rows call `add` in the same transaction: the same function the triggers called, run on
the coordinator. Elsewhere `add` does nothing (the triggers count)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.sql import is_citus

_ADD = text("SELECT public_counters_add(:users, :co2e, :trees, :eggs)")


def add(session: Session, users: int = 0, co2e: int = 0, trees: int = 0, eggs: int = 0) -> None:
    if (users or co2e or trees or eggs) and is_citus(session):
        session.execute(_ADD, {"users": users, "co2e": co2e, "trees": trees, "eggs": eggs})
