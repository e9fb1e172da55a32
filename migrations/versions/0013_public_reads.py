"""public reads: stored Merkle nodes for proofs, counters for the public stats

Revision ID: 0013
Revises: 0007
Create Date: 2026-12-01

public_log_nodes is backfilled here for every day already published (one day's entries in
memory at a time: about 1 s and 30 MB per 100,000 entries). public_counters is seeded from
full scans inside this transaction; on PostgreSQL CREATE TRIGGER locks the counted tables
against writes until it commits, so nothing is counted twice or missed.
"""
from alembic import op
import sqlalchemy as sa

from game.transparency.tree import merkle_levels, stored_nodes


revision = '0013'
down_revision = '0007'
branch_labels = None
depends_on = None

SLOTS = 16
FIGURES = ("users", "co2e_total_g", "trees_planted", "eggs_donated")

# Whole-table figures, as game.stats.services.scanned_stats computes them.
SCAN = """
SELECT (SELECT COUNT(*) FROM users), (SELECT COALESCE(SUM(co2e_total_g), 0) FROM users),
       (SELECT COALESCE(SUM(o.quantity), 0) FROM planting_orders o
          JOIN projects p ON p.id = o.project_id WHERE o.status = 'planted' AND p.kind = 'tree'),
       (SELECT COALESCE(SUM(eggs_donated), 0) FROM charity_projects)
"""

# PostgreSQL: one call per statement (deltas are numeric, SUM's type over bigint) (FOR EACH STATEMENT, transition tables), so a settlement
# batch of thousands of users adds to its slot once. A writer takes the first slot no other
# transaction holds (SKIP LOCKED, starting at a place given by its backend) and so never
# waits on another writer unless all 16 slots are held; a slot is kept until commit.
PG_ADD = f"""
CREATE FUNCTION public_counters_add(d_users numeric, d_co2e numeric, d_trees numeric,
                                    d_eggs numeric) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s integer;
BEGIN
  IF d_users = 0 AND d_co2e = 0 AND d_trees = 0 AND d_eggs = 0 THEN
    RETURN;
  END IF;
  SELECT slot INTO s FROM public_counters ORDER BY (slot + pg_backend_pid()) % {SLOTS}
    LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF s IS NULL THEN
    s := pg_backend_pid() % {SLOTS};
  END IF;
  INSERT INTO public_counters AS c (slot, users, co2e_total_g, trees_planted, eggs_donated)
  VALUES (s, d_users::bigint, d_co2e::bigint, d_trees::bigint, d_eggs::bigint)
  ON CONFLICT (slot) DO UPDATE SET users = c.users + EXCLUDED.users,
    co2e_total_g = c.co2e_total_g + EXCLUDED.co2e_total_g,
    trees_planted = c.trees_planted + EXCLUDED.trees_planted,
    eggs_donated = c.eggs_donated + EXCLUDED.eggs_donated;
END $$
"""

_TREES = """(SELECT COALESCE(SUM(r.quantity), 0) FROM {rows} r JOIN projects p
    ON p.id = r.project_id WHERE r.status = 'planted' AND p.kind = 'tree')"""

# (function name, table, operation, transition tables, the four deltas)
PG_TRIGGERS = [
    ("public_counters_users_ins", "users", "INSERT", "NEW TABLE AS new_rows",
     "(SELECT COUNT(*) FROM new_rows), (SELECT COALESCE(SUM(co2e_total_g), 0) FROM new_rows), 0, 0"),
    ("public_counters_users_upd", "users", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "0, (SELECT COALESCE(SUM(co2e_total_g), 0) FROM new_rows)"
     " - (SELECT COALESCE(SUM(co2e_total_g), 0) FROM old_rows), 0, 0"),
    ("public_counters_orders_ins", "planting_orders", "INSERT", "NEW TABLE AS new_rows",
     "0, 0, " + _TREES.format(rows="new_rows") + ", 0"),
    ("public_counters_orders_upd", "planting_orders", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "0, 0, " + _TREES.format(rows="new_rows") + " - " + _TREES.format(rows="old_rows") + ", 0"),
    ("public_counters_eggs_ins", "charity_projects", "INSERT", "NEW TABLE AS new_rows",
     "0, 0, 0, (SELECT COALESCE(SUM(eggs_donated), 0) FROM new_rows)"),
    ("public_counters_eggs_upd", "charity_projects", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "0, 0, 0, (SELECT COALESCE(SUM(eggs_donated), 0) FROM new_rows)"
     " - (SELECT COALESCE(SUM(eggs_donated), 0) FROM old_rows)"),
]

# SQLite: row triggers into slot 0 (its writers are serialized anyway).
_SQLITE_UPSERT = """INSERT INTO public_counters (slot, users, co2e_total_g, trees_planted,
    eggs_donated) VALUES (0, {values})
  ON CONFLICT (slot) DO UPDATE SET users = users + excluded.users,
    co2e_total_g = co2e_total_g + excluded.co2e_total_g,
    trees_planted = trees_planted + excluded.trees_planted,
    eggs_donated = eggs_donated + excluded.eggs_donated"""
_SQLITE_TREES = """(CASE WHEN {r}.status = 'planted' AND (SELECT kind FROM projects
    WHERE id = {r}.project_id) = 'tree' THEN {r}.quantity ELSE 0 END)"""
SQLITE_TRIGGERS = [
    ("public_counters_users_ins", "AFTER INSERT ON users", "1",
     "1, NEW.co2e_total_g, 0, 0"),
    ("public_counters_users_upd", "AFTER UPDATE OF co2e_total_g ON users",
     "NEW.co2e_total_g <> OLD.co2e_total_g", "0, NEW.co2e_total_g - OLD.co2e_total_g, 0, 0"),
    ("public_counters_orders_ins", "AFTER INSERT ON planting_orders",
     _SQLITE_TREES.format(r="NEW") + " <> 0", "0, 0, " + _SQLITE_TREES.format(r="NEW") + ", 0"),
    ("public_counters_orders_upd", "AFTER UPDATE ON planting_orders",
     _SQLITE_TREES.format(r="NEW") + " <> " + _SQLITE_TREES.format(r="OLD"),
     "0, 0, " + _SQLITE_TREES.format(r="NEW") + " - " + _SQLITE_TREES.format(r="OLD") + ", 0"),
    ("public_counters_eggs_ins", "AFTER INSERT ON charity_projects", "NEW.eggs_donated <> 0",
     "0, 0, 0, NEW.eggs_donated"),
    ("public_counters_eggs_upd", "AFTER UPDATE OF eggs_donated ON charity_projects",
     "NEW.eggs_donated <> OLD.eggs_donated", "0, 0, 0, NEW.eggs_donated - OLD.eggs_donated"),
]


def upgrade() -> None:
    op.create_table('public_log_nodes',
    sa.Column('log_date', sa.Date(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('log_date', 'level', 'position', name=op.f('pk_public_log_nodes'))
    )
    op.create_table('public_counters',
    sa.Column('slot', sa.SmallInteger(), autoincrement=False, nullable=False),
    *(sa.Column(f, sa.BigInteger(), server_default='0', nullable=False) for f in FIGURES),
    sa.PrimaryKeyConstraint('slot', name=op.f('pk_public_counters'))
    )
    _backfill_nodes()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_ADD)
        for name, table, event, refs, deltas in PG_TRIGGERS:
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN PERFORM public_counters_add({deltas}); RETURN NULL; END $$")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    else:
        for name, when, condition, values in SQLITE_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW WHEN {condition} BEGIN "
                       f"{_SQLITE_UPSERT.format(values=values)}; END")
    _seed_counters()


def _seed_counters() -> None:
    bind = op.get_bind()
    figures = dict(zip(FIGURES, bind.execute(sa.text(SCAN)).one(), strict=True))
    bind.execute(sa.text("INSERT INTO public_counters (slot, users, co2e_total_g, "
                         "trees_planted, eggs_donated) VALUES (0, :users, :co2e_total_g, "
                         ":trees_planted, :eggs_donated)"), figures)
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(f"INSERT INTO public_counters (slot) "
                             f"SELECT generate_series(1, {SLOTS - 1})"))


def _backfill_nodes() -> None:
    bind = op.get_bind()
    days = bind.execute(sa.text("SELECT log_date, first_seq, last_seq FROM public_log_roots "
                                "ORDER BY log_date")).all()
    for day, first, last in days:
        hashes = list(bind.execute(sa.text(
            "SELECT hash FROM public_log WHERE seq BETWEEN :first AND :last ORDER BY seq"),
            {"first": first, "last": last}).scalars())
        nodes = stored_nodes(merkle_levels(hashes))
        if nodes:
            bind.execute(sa.text("INSERT INTO public_log_nodes (log_date, level, position, hash) "
                                 "VALUES (:d, :k, :j, :h)"),
                         [{"d": day, "k": k, "j": j, "h": h} for (k, j), h in nodes.items()])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP FUNCTION public_counters_add(numeric, numeric, numeric, numeric)")
    else:
        for name, *_ in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('public_counters')
    op.drop_table('public_log_nodes')
