#!/bin/sh
# A fresh database CITUS_PROBE_DB (default canopy_probe) on the local cluster, migrated to head
# by Alembic (migration 0026_citus distributes it as db/citus_layout.py says), then where every
# table went. Needs `make citus-up`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CITUS_PORT=${CITUS_PORT:-9700}
db=${CITUS_PROBE_DB:-canopy_probe}
url="postgresql://postgres@127.0.0.1:$CITUS_PORT/$db"
python=${PYTHON:-$root/.venv/bin/python}

CITUS_DB=$db "$here/cluster.sh" up >/dev/null
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -d "$db" "$@"; }
q -c "DROP SCHEMA public CASCADE" -c "CREATE SCHEMA public"
start=$(date +%s)
(cd "$root" && "$python" -c "import sys; from db.migrate import upgrade; upgrade(sys.argv[1])" "$url")
echo "migrated and distributed in $(($(date +%s) - start)) s"
q -c "SELECT CASE partmethod WHEN 'h' THEN 'hash ' || column_to_column_name(logicalrelid, partkey)
                             ELSE 'reference' END AS kind, colocationid,
             string_agg(logicalrelid::text, ' ' ORDER BY logicalrelid::text) AS tables
      FROM pg_dist_partition
      WHERE NOT logicalrelid::text ~ '_(p[0-9]+|default|legacy)$'
      GROUP BY 1, 2 ORDER BY 2, 1"
