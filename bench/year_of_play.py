"""A year of play for the users a bench seeded, built in SQL (generate_series), so that a bench
can measure the same requests on a new deployment and on one with a year behind it.

    add_year(url, today, days, friends)

What a deployment keeps after `days` nights under the default retention (README "Data with a
life cycle"), for every user already in the database, in one zone's local days before `today`:
- ledger: each night one issue (issued -> balls) of the night's energy and, per user, one
  collect (balls -> the user's available account), for the last 13 months at most; the users'
  running balances are raised by what they collected, so `reconcile` still proves the ledger;
- balls: 3 collected settlement balls per user and night for the last 60 nights (older ones are
  retired with their month), ids as settlement makes them (carbon/ball_ids.py);
- steals: each user stole once a night from the next user's first ball (same 60 nights);
- earned_quarters: the quarter hour of each user's collect (the leaderboard's totals), for the
  whole period (the maintenance then keeps the last 8 days);
- carbon_days: the statement's 3 rows per user and day, for the whole period (kept forever),
  and co2e_rollup.days_through at its last day (the roll-up copied those nights' balls);
- outbox_events: one energy_stolen feed item per user and night for the last 90 nights.
Every month's partitions are created first (bench/common.py monthly_partitions); at the end the
nightly maintenance runs once with the default retention, as the job would have every night
(nightly_maintenance). Raw events and idempotency keys are not generated: a night's settlement
and the rush do not read old ones.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import psycopg
from common import month_spans, monthly_partitions

LEDGER_DAYS, BALL_DAYS, FEED_DAYS = 395, 60, 90
KINDS = "(VALUES ('bus_ride', 30, 0), ('metro_ride', 52, 1), ('offline_payment', 50, 2))"

BALLS = f"""
INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g, remaining_g,
                   stolen_g, collected_g, stealable, status, ripe_at, expires_at, created_at)
SELECT ((d::date - DATE '2000-01-01')::bigint << 38) + u.id * 64 + t.r, u.id, 'settlement',
       t.k, d::date, t.g, t.g, 0, CASE WHEN t.r = 0 THEN 3 ELSE 0 END,
       CASE WHEN t.r = 0 THEN t.g - 3 ELSE t.g END, TRUE, 'collected',
       d + interval '23 hours', d + interval '95 hours', d + interval '17 hours'
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d CROSS JOIN users u
CROSS JOIN {KINDS} AS t(k, g, r)
ORDER BY 1
"""
# The thief is the user before the owner (a friend on the benches' rings of consecutive ids).
STEALS = """
INSERT INTO steals (ball_id, thief_user_id, owner_user_id, amount_g, created_at)
SELECT ((d::date - DATE '2000-01-01')::bigint << 38) + u.id * 64, p.id, u.id, 3,
       d + interval '23 hours 30 minutes'
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d CROSS JOIN users u
JOIN users p ON p.id = u.id - 1
ORDER BY 1
"""
CARBON_DAYS = f"""
INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g)
SELECT d::date, u.id, t.k, t.g
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d CROSS JOIN users u
CROSS JOIN {KINDS} AS t(k, g, r)
ORDER BY 1, 2, 3
"""
EARNED_QUARTERS = """
INSERT INTO earned_quarters (user_id, quarter, earned_g)
SELECT u.id, floor(extract(epoch FROM d + interval '23 hours') / 900), 132
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d
CROSS JOIN users u ORDER BY 1, 2
"""
FEED = """
INSERT INTO outbox_events (type, occurred_at, user_id, other_user_id, partner_id, payload)
SELECT 'energy_stolen', d + interval '23 hours 30 minutes', u.id, u.id, NULL,
       json_build_object('ball_id', ((d::date - DATE '2000-01-01')::bigint << 38) + u.id * 64,
                         'energy_g', 3)
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d CROSS JOIN users u
ORDER BY 2
"""
# A night's ledger: one issue of everyone's energy, one collect per user (132 g: the 3 balls).
COLLECTS = """
CREATE TEMP TABLE year_collects ON COMMIT DROP AS
SELECT nextval('ledger_transactions_id_seq') AS tx, u.id AS user_id, d AS at
FROM generate_series(%(a)s::timestamptz, %(b)s::timestamptz, interval '1 day') AS d
CROSS JOIN users u ORDER BY d, u.id
"""
COLLECT_TX = """
INSERT INTO ledger_transactions (id, kind, cause_type, cause_id, created_at)
SELECT tx, 'collect', 'bench_year', user_id::text, at FROM year_collects
"""
COLLECT_ENTRIES = """
INSERT INTO ledger_entries (transaction_id, account_id, owner_id, amount_g, created_at)
SELECT c.tx, e.account, e.owner, e.amount, c.at
FROM year_collects c JOIN ledger_accounts a ON a.user_id = c.user_id AND a.code = 'available'
CROSS JOIN LATERAL (VALUES (%(balls)s, 0::bigint, -132), (a.id, a.owner_id, 132))
  AS e(account, owner, amount)
ORDER BY c.at, c.tx
"""
ISSUES = """
WITH tx AS (
    INSERT INTO ledger_transactions (kind, cause_type, cause_id, created_at)
    SELECT 'issue', 'bench_year', d::date::text, d - interval '1 hour'
    FROM generate_series(%(a)s::timestamptz, %(b)s::timestamptz, interval '1 day') AS d
    RETURNING id, created_at)
INSERT INTO ledger_entries (transaction_id, account_id, owner_id, amount_g, created_at)
SELECT tx.id, e.account, 0, e.amount, tx.created_at FROM tx
CROSS JOIN LATERAL (VALUES (%(issued)s, -132 * %(users)s::bigint),
                           (%(balls)s, 132 * %(users)s::bigint)) AS e(account, amount)
"""


def _system_account(conn, code: str) -> int:
    conn.execute("INSERT INTO ledger_accounts (user_id, code, tracks_balance, balance_g) "
                 "SELECT NULL, %s, false, 0 WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts "
                 "WHERE user_id IS NULL AND code = %s)", (code, code))
    return conn.execute("SELECT id FROM ledger_accounts WHERE user_id IS NULL AND code = %s",
                        (code,)).fetchone()[0]


def add_year(url: str, today: date, days: int = 365) -> float:
    """Build `days` nights of history before `today` (see the module); seconds taken."""
    started = time.perf_counter()
    first = today - timedelta(days=days)
    last = today - timedelta(days=2)  # yesterday's balls are the bench's own, still open
    monthly_partitions(url, first, today)
    with psycopg.connect(url, autocommit=True) as conn:
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        issued, balls = _system_account(conn, "issued"), _system_account(conn, "balls")
        conn.execute("INSERT INTO ledger_accounts (user_id, owner_id, code, tracks_balance, "
                     "balance_g) SELECT id, id, 'available', true, 0 FROM users "
                     "ON CONFLICT DO NOTHING")
        ledger_first = max(first, today - timedelta(days=LEDGER_DAYS))
        for a, b in month_spans(first, last):
            span = {"a": a, "b": b}
            conn.execute(CARBON_DAYS, span)
            conn.execute(EARNED_QUARTERS, span)
            if b >= ledger_first:
                at = {"a": datetime.combine(max(a, ledger_first), datetime.min.time(), UTC)
                      + timedelta(hours=1),
                      "b": datetime.combine(b, datetime.min.time(), UTC) + timedelta(hours=1)}
                with conn.transaction():
                    conn.execute(COLLECTS, at)
                    conn.execute(COLLECT_TX)
                    conn.execute(COLLECT_ENTRIES, {"balls": balls})
                conn.execute(ISSUES, {**at, "issued": issued, "balls": balls, "users": users})
            for keep, sql in ((BALL_DAYS, BALLS), (BALL_DAYS, STEALS), (FEED_DAYS, FEED)):
                since = last - timedelta(days=keep - 1)
                if b >= since:
                    conn.execute(sql, {"a": max(a, since), "b": b})
            print(f"# year: {a}..{b} at {time.perf_counter() - started:.0f} s", flush=True)
        conn.execute("UPDATE co2e_rollup SET days_through = %s", (last,))
        nights = (last - ledger_first).days + 1
        conn.execute("UPDATE ledger_accounts SET balance_g = balance_g + 132 * %s "
                     "WHERE code = 'available' AND user_id IS NOT NULL", (nights,))
        for table in ("balls", "steals", "ledger_transactions", "ledger_entries",
                      "ledger_accounts", "earned_quarters", "carbon_days", "outbox_events"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    nightly_maintenance(url, today)
    with psycopg.connect(url, autocommit=True) as conn:
        # A year of WAL was just written in seconds, as no deployment does: without this, its
        # checkpoint (and autovacuum's pass over the new rows) would land inside the rush.
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def nightly_maintenance(url: str, today: date) -> None:
    """What the nightly maintenance job would have left after a year (retention.maintain with
    the default retention, as of today's 03:00 UTC): ledger months checkpointed, the monthly
    partitions past their retention dropped (a year of empty ball partitions would otherwise
    stay, and each one is another index a user's ball listing probes), the leaderboard's old
    days purged."""
    from carbon.services import retention
    from config import Config
    from db import UnitOfWork, make_engine, make_session_factory

    engine = make_engine(url)
    factory = make_session_factory(engine)
    report = retention.maintain(lambda: UnitOfWork(factory),
                                datetime.combine(today, datetime.min.time(), UTC)
                                + timedelta(hours=3), Config().retention())
    engine.dispose()
    print(f"# year: nightly maintenance {report.figures()}", flush=True)
