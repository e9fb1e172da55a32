#!/bin/sh
# What a write costs on the cluster when it spans nodes: pgbench transactions/s of the shapes
# Canopy's writes take, on the local Citus cluster (`make citus-up`), in one run:
#
#   CITUS_PORT=9700 bench/citus_2pc.sh          (SECONDS_EACH=10 CLIENTS=8)
#
#   local_one      one row of a table local to the coordinator (one PostgreSQL server)
#   local_two      two rows of that table in one transaction (a steal, on one server)
#   shard_one      one row of a distributed table (a write within one user's shard)
#   shard_two      two rows of one shard in one transaction (both rows of one user)
#   cross_two      two rows on two workers in one transaction: Citus commits it with
#                  two-phase commit (a steal or a watering between users on two workers)
#   reference_hot  one of 16 rows of a reference table (a project's budget, a certificate
#                  counter): every write goes to every node, with two-phase commit
#   local_hot      the same 16 rows in a table local to the coordinator
#
# Each transaction first reads its pair of ids from a local table (the same cost in every case).
# A fresh database canopy_bench_2pc on the coordinator and the workers; figures are
# transactions/s of CLIENTS connections for SECONDS_EACH seconds; compare them within one run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
CITUS_PORT=${CITUS_PORT:-9700}
db=canopy_bench_2pc
secs=${SECONDS_EACH:-10}
clients=${CLIENTS:-8}
ids=100000

for port in $CITUS_PORT $((CITUS_PORT + 1)) $((CITUS_PORT + 2)) $((CITUS_PORT + 3)); do
    psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
done
CITUS_PORT=$CITUS_PORT CITUS_DB=$db "$root/db/citus/cluster.sh" up >/dev/null
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -d "$db" "$@"; }

for t in local_accounts accounts; do
    q -c "CREATE TABLE $t (id bigint PRIMARY KEY, g bigint NOT NULL)"
    q -c "INSERT INTO $t SELECT i, 0 FROM generate_series(1, $ids) AS i"
done
for t in local_counters counters; do
    q -c "CREATE TABLE $t (id int PRIMARY KEY, n bigint NOT NULL)"
    q -c "INSERT INTO $t SELECT i, 0 FROM generate_series(1, 16) AS i"
done
q -c "SELECT create_distributed_table('accounts', 'id', shard_count => 8)" >/dev/null
q -c "SELECT create_reference_table('counters')" >/dev/null
# Pairs of ids: in one shard, and on two different workers (placements read from Citus).
q -c "CREATE TABLE placed AS SELECT a.id, s.shardid, p.nodeport
      FROM generate_series(1, $ids) AS a(id)
      CROSS JOIN LATERAL (SELECT get_shard_id_for_distribution_column('accounts', a.id)
                          AS shardid) s
      JOIN pg_dist_placement pl ON pl.shardid = s.shardid
      JOIN pg_dist_node p ON p.groupid = pl.groupid"
q -c "CREATE TABLE ranked AS SELECT id, shardid, nodeport,
        row_number() OVER (PARTITION BY shardid ORDER BY id) AS in_shard,
        row_number() OVER (PARTITION BY nodeport ORDER BY id) AS on_node,
        dense_rank() OVER (ORDER BY nodeport) AS node FROM placed"
q -c "CREATE TABLE pairs_same AS SELECT row_number() OVER (ORDER BY x.id) AS n, x.id AS a, y.id AS b
      FROM ranked x JOIN ranked y ON y.shardid = x.shardid AND y.in_shard = x.in_shard + 1
      WHERE x.in_shard % 2 = 1"
q -c "CREATE TABLE pairs_cross AS SELECT row_number() OVER (ORDER BY x.id) AS n, x.id AS a, y.id AS b
      FROM ranked x JOIN ranked y ON y.on_node = x.on_node AND y.node = 2 WHERE x.node = 1"
for kind in same cross; do q -c "CREATE UNIQUE INDEX ON pairs_$kind (n)"; done
q -c "VACUUM ANALYZE"
pairs=$(q -tAc "SELECT LEAST((SELECT COUNT(*) FROM pairs_same), (SELECT COUNT(*) FROM pairs_cross))")

dir=$(mktemp -d)
pick() {  # the lookup every case pays
    printf '\\set n random(1, %s)\nSELECT a, b FROM pairs_%s WHERE n = :n \\gset\n' "$pairs" "$1"
}
{ pick same; echo "UPDATE local_accounts SET g = g + 1 WHERE id = :a;"; } >"$dir/local_one.sql"
{ pick cross; echo "BEGIN;"; echo "UPDATE local_accounts SET g = g - 1 WHERE id = :a;"
  echo "UPDATE local_accounts SET g = g + 1 WHERE id = :b;"; echo "END;"; } >"$dir/local_two.sql"
{ pick same; echo "UPDATE accounts SET g = g + 1 WHERE id = :a;"; } >"$dir/shard_one.sql"
{ pick same; echo "BEGIN;"; echo "UPDATE accounts SET g = g - 1 WHERE id = :a;"
  echo "UPDATE accounts SET g = g + 1 WHERE id = :b;"; echo "END;"; } >"$dir/shard_two.sql"
{ pick cross; echo "BEGIN;"; echo "UPDATE accounts SET g = g - 1 WHERE id = :a;"
  echo "UPDATE accounts SET g = g + 1 WHERE id = :b;"; echo "END;"; } >"$dir/cross_two.sql"
{ pick same; echo "UPDATE counters SET n = n + 1 WHERE id = 1 + :a % 16;"; } >"$dir/reference_hot.sql"
{ pick same; echo "UPDATE local_counters SET n = n + 1 WHERE id = 1 + :a % 16;"; } >"$dir/local_hot.sql"

echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg) cpus=$(nproc) clients=$clients seconds=$secs workers=$(q -tAc "SELECT COUNT(*) FROM pg_dist_node WHERE groupid <> 0")"
for case in local_one local_two shard_one shard_two cross_two reference_hot local_hot; do
    tps=$(pgbench -n -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -c "$clients" -j 2 -T "$secs" \
            -f "$dir/$case.sql" "$db" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    echo "$case tps=$tps"
done
rm -rf "$dir"
