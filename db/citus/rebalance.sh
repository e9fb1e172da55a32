#!/bin/sh
# Grows the local Citus cluster by one worker and moves shards onto it, online:
#
#   CITUS_DB=canopy db/citus/rebalance.sh        (make citus-grow)
#
# Starts and adds the workers up to CITUS_WORKERS (default 3; db/citus/cluster.sh up), then
# citus_rebalance_start() and waits for its background job (citus_rebalance_status) to end.
# Prints the shard placement per node before and after, and the seconds each step took.
# Settings: CITUS_PORT (coordinator, default 9700), CITUS_DB (default canopy), CITUS_WORKERS,
# CITUS_TRANSFER_MODE (auto | force_logical | block_writes; default auto: moves by logical
# replication, so reads and writes go on; block_writes blocks writes to a shard while it moves),
# CITUS_REBALANCE_TIMEOUT (seconds, default 900: then the job is stopped and the script fails).
# A logical move (auto) creates a replication slot on the source node, which waits for every
# transaction older than itself on that PostgreSQL server, in any database: a long transaction
# of another database on the same nodes (a test session) holds the move until it ends.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CITUS_PORT=${CITUS_PORT:-9700}
CITUS_DB=${CITUS_DB:-canopy}
CITUS_WORKERS=${CITUS_WORKERS:-3}
mode=${CITUS_TRANSFER_MODE:-auto}
timeout=${CITUS_REBALANCE_TIMEOUT:-900}
export CITUS_PORT CITUS_DB CITUS_WORKERS

q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -d "$CITUS_DB" "$@"; }

placement() {  # per node and co-location group (tables distributed alike move together)
    q -c "SELECT s.nodename || ':' || s.nodeport AS node, s.colocation_id AS colocation,
                 COUNT(DISTINCT s.table_name) AS tables,
                 COUNT(DISTINCT s.shardid) / COUNT(DISTINCT s.table_name) AS shard_groups,
                 pg_size_pretty(COALESCE(SUM(s.shard_size), 0)::bigint) AS size
          FROM citus_shards s WHERE s.citus_table_type = 'distributed'
          GROUP BY s.nodename, s.nodeport, s.colocation_id ORDER BY 2, 1"
}

echo "== placement before"
placement
start=$(date +%s)
"$here/cluster.sh" up >/dev/null
added=$(date +%s)
echo "== workers: $(q -tAc "SELECT string_agg(nodeport::text, ' ' ORDER BY nodeport)
                            FROM pg_dist_node WHERE groupid <> 0") (added in $((added - start)) s)"
job=$(q -tAc "SELECT citus_rebalance_start(shard_transfer_mode => '$mode')")
if [ -z "$job" ]; then
    echo "== nothing to move"
else
    waited=0
    while :; do
        state=$(q -tAc "SELECT state FROM citus_rebalance_status() WHERE job_id = $job")
        case "$state" in
            finished) break ;;
            scheduled) if [ $waited -ge 120 ]; then
                    echo "rebalance job $job still scheduled after $waited s: no background" \
                         "worker left (max_worker_processes; one Citus daemon per database)?" >&2
                    q -tAc "SELECT citus_rebalance_stop()" >/dev/null
                    exit 1
                fi ;;
            running) if [ $waited -ge "$timeout" ]; then
                    q -c "SELECT task_id, status, command FROM pg_dist_background_task
                          WHERE job_id = $job AND status <> 'done' ORDER BY task_id"
                    q -c "SELECT a.pid, a.backend_type, a.wait_event_type, a.wait_event,
                                 left(a.query, 80) AS query FROM pg_stat_activity a
                          WHERE a.datname = current_database() AND a.state = 'active'
                            AND a.wait_event_type = 'Lock'"
                    echo "rebalance job $job still running after $waited s: stopped" >&2
                    q -tAc "SELECT citus_rebalance_stop()" >/dev/null
                    exit 1
                fi ;;
            failed|cancelled|failing|cancelling)
                q -c "SELECT task_id, status, message FROM pg_dist_background_task
                      WHERE job_id = $job AND status <> 'done'"
                echo "rebalance job $job: $state" >&2
                exit 1 ;;
        esac
        sleep 1
        waited=$((waited + 1))
    done
    moves=$(q -tAc "SELECT COUNT(*) FROM pg_dist_background_task
                    WHERE job_id = $job AND command LIKE '%citus_move_shard_placement%'")
    echo "== rebalance job $job ($mode): $moves shard group moves in $(($(date +%s) - added)) s"
fi
echo "== placement after"
placement
