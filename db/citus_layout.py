"""Where every table lives on a Citus cluster, and the step that puts it there.

Three kinds of place:
- distributed: hash-sharded by one column; the per-user tables are all co-located with `users`
  (a user's rows of every table are on one shard, so a user's transaction and settlement's
  INSERT ... SELECT run on that shard alone);
- reference: a copy on every node (catalog, methodology, partners, and the social tables whose
  rows join two users: friendships, groups, plantings), joined locally by any shard;
- local: stays on the coordinator (settlement bookkeeping, the outbox, the public log,
  webhooks): written by one job or one request at a time, claimed with FOR UPDATE SKIP LOCKED,
  which a reference table does not honour.

`distribute_if_citus` is run by migration 0026_citus: nothing happens on SQLite or on a
PostgreSQL without the citus extension. One DDL statement per execute (Citus forwards a
command's whole string to the workers) and sequential shard commands (DDL after a parallel
multi-shard command in the same transaction is refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

# What every session on a Citus database runs with: joins of two distributed tables on another
# column than both distribution columns (a ledger entry's account, a friend's balls) are
# repartitioned instead of refused; one connection per worker for a transaction's multi-shard
# commands, so that a reference table (partners, projects, plantings) may be written after a
# multi-shard read in the same transaction, which Citus refuses after a parallel one (a
# settlement batch's tasks then run one worker at a time per node; batches run in parallel by
# settlement's workers). Set as the database's defaults by distribute_if_citus and on each new
# connection by db.uow.make_engine (a connection opened before the migration has no defaults).
SESSION_SETTINGS = {"citus.enable_repartition_joins": "on",
                    "citus.multi_shard_modify_mode": "sequential"}

# Shards of the user co-location group. 8 suits a development cluster of 2-3 workers; a
# deployment picks a multiple of its largest planned worker count (citus_rebalance moves
# whole shards, never splits them).
SHARD_COUNT = 8


@dataclass(frozen=True)
class Distributed:
    table: str
    column: str
    colocate_with: str = "users"


USERS = Distributed("users", "id", colocate_with="default")

DISTRIBUTED: tuple[Distributed, ...] = (
    USERS,
    Distributed("activity_events", "user_id"),
    Distributed("carbon_days", "user_id"),
    Distributed("balls", "user_id"),
    # A steal lives with the ball it took from (its owner); a watering with the ball it made.
    Distributed("steals", "owner_user_id"),
    Distributed("waterings", "receiver_user_id"),
    Distributed("ledger_accounts", "owner_id"),
    Distributed("ledger_entries", "owner_id"),
    Distributed("idempotency_keys", "user_id"),
    Distributed("earned_quarters", "user_id"),
    Distributed("earned_totals", "user_id"),
    Distributed("capped_months", "user_id"),  # migration 0029 (LATER)
    Distributed("carbon_months", "user_id"),  # migration 0031 (LATER); empty on Citus
    Distributed("farms", "user_id"),
    Distributed("farm_feed_grants", "user_id"),
    Distributed("farm_feedings", "user_id"),
    Distributed("farm_quiz_answers", "user_id"),
    Distributed("egg_donations", "user_id"),
    # Global keys that name no user: each is unique on the shard its own value hashes to.
    Distributed("user_external_ids", "external_id", colocate_with="none"),
    Distributed("event_keys", "source_event_id", colocate_with="user_external_ids"),
    Distributed("ledger_transactions", "id", colocate_with="none"),
)

REFERENCE: tuple[str, ...] = (
    "activity_types", "methodology_versions", "partners", "partner_signatures", "projects",
    "charity_projects", "donation_records", "farm_quiz_questions",
    "friendships", "awaited_friend_requests", "farm_meals",
    "planting_groups", "group_members", "group_contributions", "planting_orders",
    "certificates",
    # Written once a month, read joined to the ledger's entries (on their shards).
    "ledger_checkpoints",
)

# Distributed tables created by a migration after 0026_citus: each distributes its own
# (distribute_later_table); 0026 skips them on a database upgraded from before they existed.
LATER: tuple[str, ...] = ("capped_months", "carbon_months")

# Stay plain tables on the coordinator (listed so that a new table must be placed knowingly).
LOCAL: tuple[str, ...] = (
    "alembic_version", "settlement_runs", "settlement_batches", "settlement_followups",
    "settlement_requests", "co2e_rollup", "public_counters", "public_log", "public_log_nodes",
    "public_log_roots", "certificate_counters", "outbox_events", "stream_positions",
    "stream_gaps", "webhook_endpoints", "webhook_deliveries", "ledger_checkpoint_months",
)

# Keys rewritten so that they contain the distribution column (Citus: "Distributed relations
# cannot have UNIQUE, EXCLUDE, or PRIMARY KEY constraints that do not include the partition
# column"). Ids still come from one sequence, so each is exactly as strict as before.
# (table, constraint, new definition or None to drop it)
KEYS: tuple[tuple[str, str, str | None], ...] = (
    # users.external_id is unique through user_external_ids (services.users.ensure_users)
    ("users", "uq_users_external_id", None),
    # The old key's columns first (its range scans: a batch's ball ids, a month's entries),
    # the distribution column last.
    ("balls", "pk_balls", "PRIMARY KEY (id, user_id)"),
    ("steals", "pk_steals", "PRIMARY KEY (ball_id, thief_user_id, owner_user_id)"),
    ("waterings", "pk_waterings", "PRIMARY KEY (id, local_date, receiver_user_id)"),
    ("ledger_accounts", "uq_ledger_accounts_user_id_code", None),
    ("ledger_accounts", "pk_ledger_accounts", "PRIMARY KEY (id, owner_id)"),
    ("ledger_entries", "pk_ledger_entries", "PRIMARY KEY (id, created_at, owner_id)"),
    ("idempotency_keys", "pk_idempotency_keys", "PRIMARY KEY (id, user_id)"),
    ("farm_feed_grants", "pk_farm_feed_grants", "PRIMARY KEY (id, user_id)"),
    ("farm_feedings", "pk_farm_feedings", "PRIMARY KEY (id, user_id)"),
    ("farm_quiz_answers", "pk_farm_quiz_answers", "PRIMARY KEY (id, user_id)"),
    ("egg_donations", "pk_egg_donations", "PRIMARY KEY (id, user_id)"),
)
# Unique indexes (not constraints) that cannot hold: system accounts are (owner 0, code).
DROPPED_INDEXES: tuple[str, ...] = ("uq_ledger_accounts_system_code",)

# The public counters' triggers: on a distributed table they would fire on a worker, where
# public_counters (a coordinator table) does not exist; the services add to the counters
# instead (carbon.services.public_counts) when the database is Citus.
COUNTER_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("public_counters_users_ins", "users"),
    ("public_counters_carbon_days_ins", "carbon_days"),
    ("public_counters_orders_ins", "planting_orders"),
    ("public_counters_orders_upd", "planting_orders"),
    ("public_counters_eggs_ins", "charity_projects"),
    ("public_counters_eggs_upd", "charity_projects"),
)


def has_citus(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")) is not None


def placement(table: str) -> str:
    """'reference', 'local' or 'distributed by <column>' (for the notes and the tests)."""
    for d in DISTRIBUTED:
        if d.table == table:
            return f"distributed by {d.column}"
    return "reference" if table in REFERENCE else "local"


def distribute_if_citus(conn: Connection) -> bool:
    """Distribute the schema when the database has the citus extension; True if it did."""
    if not has_citus(conn):
        return False
    run = _runner(conn)
    run("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
    for trigger, table in COUNTER_TRIGGERS:
        run(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    foreign_keys = _foreign_keys(conn)
    for fk in foreign_keys:
        run(f"ALTER TABLE {fk.table} DROP CONSTRAINT {fk.name}")
    for index in DROPPED_INDEXES:
        run(f"DROP INDEX IF EXISTS {index}")
    for table, name, definition in KEYS:
        run(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        if definition:
            run(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for table in REFERENCE:
        run(f"SELECT create_reference_table('{table}')")
    for d in DISTRIBUTED:
        if d.table not in LATER or _exists(conn, d.table):
            run(_create_distributed(d))
    for fk in foreign_keys:
        if _allowed(fk):
            run(f"ALTER TABLE {fk.table} ADD CONSTRAINT {fk.name} {fk.definition}")
    database = conn.scalar(text("SELECT current_database()"))
    for name, setting in SESSION_SETTINGS.items():
        run(f'ALTER DATABASE "{database}" SET {name} = {setting}')
    return True


def _create_distributed(d: Distributed) -> str:
    shards = f", shard_count => {SHARD_COUNT}" if d.colocate_with in ("default", "none") else ""
    return (f"SELECT create_distributed_table('{d.table}', '{d.column}', "
            f"colocate_with => '{d.colocate_with}'{shards})")


def _exists(conn: Connection, table: str) -> bool:
    return conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}) is True


def distribute_later_table(conn: Connection, table: str) -> bool:
    """Distribute `table` (one of LATER, just created by its migration) where 0026_citus
    distributed the schema: the citus extension is there and users is distributed already."""
    if not has_citus(conn):
        return False
    (d,) = [d for d in DISTRIBUTED if d.table == table and table in LATER]
    conn.execute(text(_create_distributed(d)))
    return True


@dataclass(frozen=True)
class _ForeignKey:
    table: str
    name: str
    definition: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


def _foreign_keys(conn: Connection) -> list[_ForeignKey]:
    rows = conn.execute(text("""
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),
               ARRAY(SELECT a.attname::text FROM unnest(c.conkey) k
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k),
               c.confrelid::regclass::text,
               ARRAY(SELECT a.attname::text FROM unnest(c.confkey) k
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k)
        FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
        WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
          AND NOT r.relispartition AND c.conparentid = 0
        ORDER BY 1, 2""")).all()
    return [_ForeignKey(t, n, d, tuple(cols), p, tuple(pcols)) for t, n, d, cols, p, pcols in rows]


def _group(table: str) -> str:
    for d in DISTRIBUTED:
        if d.table == table:
            return "users" if d.colocate_with in ("users", "default") else d.table
    return "reference" if table in REFERENCE else "local"


def _column(table: str) -> str | None:
    return next((d.column for d in DISTRIBUTED if d.table == table), None)


def _allowed(fk: _ForeignKey) -> bool:
    """Which foreign keys Citus keeps: to a reference table from a reference or distributed
    one, between local tables, and between co-located distributed tables on both distribution
    columns. The others (a row's second user, a reference row pointing at a user, a local row
    pointing at a shard) are kept by the services."""
    child, parent = _group(fk.table), _group(fk.parent)
    if parent == "reference":
        return child != "local"
    if child == "local" or parent == "local":
        return child == parent
    return (child == parent and fk.columns == (_column(fk.table),)
            and fk.parent_columns == (_column(fk.parent),))


def _runner(conn: Connection):  # type: ignore[no-untyped-def]
    def run(sql: str) -> None:
        conn.execute(text(sql))
    return run
