"""Migration 0013 upgrades a database that already holds a log with published days and
users: it stores the trees of those days and seeds the counters from the tables."""

from __future__ import annotations

import hashlib
import os
import tempfile

from sqlalchemy import text

from db import make_engine
from db.migrate import upgrade
from game.transparency.domain import GENESIS_HASH
from game.transparency.tree import merkle_levels, stored_nodes


def test_upgrading_backfills_published_trees_and_seeds_the_counters():
    url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="canopy-mig-"), "m.db")
    upgrade(url, "0007")
    engine = make_engine(url)
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(40)]
    with engine.begin() as conn:
        for i, h in enumerate(hashes, start=1):
            conn.execute(text(
                "INSERT INTO public_log (seq, kind, ref, payload, prev_hash, hash, log_date, "
                "created_at) VALUES (:s, 'certificate_issued', :r, '{}', :p, :h, '2026-03-10', "
                "'2026-03-10 04:00:00')"),
                {"s": i, "r": f"C-{i}", "p": hashes[i - 2] if i > 1 else GENESIS_HASH, "h": h})
        conn.execute(text(
            "INSERT INTO public_log_roots (log_date, root, count, first_seq, last_seq, "
            "published_at) VALUES ('2026-03-10', 'x', 40, 1, 40, '2026-03-11 00:00:00')"))
        for i in range(3):
            conn.execute(text("INSERT INTO users (external_id, timezone, co2e_total_g, "
                              "created_at) VALUES (:e, 'UTC', 100, '2026-03-10 00:00:00')"),
                         {"e": f"u{i}"})
    upgrade(url)
    with engine.begin() as conn:
        nodes = {(k, j): h for _, k, j, h in conn.execute(text(
            "SELECT log_date, level, position, hash FROM public_log_nodes"))}
        counters = conn.execute(text(
            "SELECT SUM(users), SUM(co2e_total_g), SUM(trees_planted), SUM(eggs_donated) "
            "FROM public_counters")).one()
        conn.execute(text("INSERT INTO users (external_id, timezone, co2e_total_g, created_at) "
                          "VALUES ('late', 'UTC', 5, '2026-03-12 00:00:00')"))
        later = conn.execute(text("SELECT SUM(users), SUM(co2e_total_g) FROM public_counters")).one()
    engine.dispose()
    assert nodes == stored_nodes(merkle_levels(hashes)) and len(nodes) == 6
    assert tuple(counters) == (3, 300, 0, 0) and tuple(later) == (4, 305)
