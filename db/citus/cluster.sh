#!/bin/sh
# A Citus cluster on one machine for development and tests: a coordinator and two
# workers, three PostgreSQL clusters on their own ports, each with citus preloaded.
# Needs only PostgreSQL (initdb, pg_ctl) with the Citus extension installed.
#
#   db/citus/cluster.sh up      create (first time) and start; safe to run twice
#   db/citus/cluster.sh down    stop and remove every node's data directory
#   db/citus/cluster.sh status  which nodes run, and the coordinator's node list
#
# Settings (environment): CITUS_DIR (data, default ./.citus), CITUS_PORT (coordinator,
# default 9700; workers take the next ports), CITUS_WORKERS (default 2; `up` with 3 adds a
# third worker to a running cluster, which then needs a rebalance: db/citus/rebalance.sh),
# CITUS_DB (default canopy), PG_BIN (the directory of initdb/pg_ctl; default from pg_config
# or PATH).
# PostgreSQL refuses to run as root: as root every server command runs as the
# `postgres` user (runuser), which then owns CITUS_DIR.
set -eu

CITUS_DIR=${CITUS_DIR:-$(pwd)/.citus}
CITUS_PORT=${CITUS_PORT:-9700}
CITUS_DB=${CITUS_DB:-canopy}
if [ -z "${PG_BIN:-}" ]; then
    PG_BIN=$(pg_config --bindir 2>/dev/null || dirname "$(command -v pg_ctl)")
fi
CITUS_WORKERS=${CITUS_WORKERS:-2}
WORKER_PORTS=$(seq $((CITUS_PORT + 1)) $((CITUS_PORT + CITUS_WORKERS)) | tr '\n' ' ')
PORTS="$CITUS_PORT $WORKER_PORTS"

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

node_dir() { echo "$CITUS_DIR/node-$1"; }

psql_at() {  # psql_at PORT DB SQL
    PGOPTIONS="-c client_min_messages=warning" as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -tAc "$3"
}

init_node() {
    dir=$(node_dir "$1")
    [ -f "$dir/PG_VERSION" ] && return 0
    as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # Sockets stay inside the data directory so the nodes never clash with a system server.
    cat >>"$dir/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$dir'
max_connections = 200
max_prepared_transactions = 200
fsync = off
synchronous_commit = off
full_page_writes = off
# Shard moves (citus_rebalance_start) copy a shard and then follow its writes by logical
# replication, so reads and writes go on during the move.
wal_level = logical
# Citus runs a maintenance daemon per database and the rebalancer's task queue as background
# workers: with the default 8, a few databases on one cluster leave none for the rebalance,
# which then stays 'scheduled' for ever ("unable to start background worker").
max_worker_processes = 64
CONF
}

start_node() {
    dir=$(node_dir "$1")
    if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then return 0; fi
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
}

create_db() {
    exists=$(psql_at "$1" postgres "SELECT 1 FROM pg_database WHERE datname = '$CITUS_DB'")
    [ "$exists" = 1 ] || psql_at "$1" postgres "CREATE DATABASE $CITUS_DB"
    psql_at "$1" "$CITUS_DB" "CREATE EXTENSION IF NOT EXISTS citus"
    # Citus puts two views in public; the test fixtures' DROP SCHEMA public CASCADE would
    # then try to drop the extension ("cache lookup failed for pg_dist_local_group").
    for view in citus_tables citus_schemas; do
        psql_at "$1" "$CITUS_DB" "DO \$\$ BEGIN
            IF to_regclass('public.$view') IS NOT NULL THEN
                ALTER VIEW public.$view SET SCHEMA citus; END IF; END \$\$"
    done
}

join_workers() {
    psql_at "$CITUS_PORT" "$CITUS_DB" \
        "SELECT citus_set_coordinator_host('127.0.0.1', $CITUS_PORT)" >/dev/null
    for port in $WORKER_PORTS; do
        known=$(psql_at "$CITUS_PORT" "$CITUS_DB" \
            "SELECT 1 FROM pg_dist_node WHERE nodename = '127.0.0.1' AND nodeport = $port")
        [ "$known" = 1 ] || psql_at "$CITUS_PORT" "$CITUS_DB" \
            "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
    done
}

share_public_schema() {
    # The test fixtures reset the schema with DROP SCHEMA public CASCADE + CREATE SCHEMA
    # public on the coordinator. Citus sends CREATE SCHEMA to the workers but DROP SCHEMA
    # only once the schema is one of its distributed objects; until then the CREATE fails
    # there ("schema public already exists"). A throwaway reference table makes it one.
    shared=$(psql_at "$CITUS_PORT" "$CITUS_DB" "SELECT 1 FROM pg_dist_object
        WHERE classid = 'pg_namespace'::regclass AND objid = 'public'::regnamespace")
    [ "$shared" = 1 ] && return 0
    # One statement per call: Citus forwards a DDL command's whole query string to the workers.
    for sql in "CREATE TABLE public.citus_share_schema (id int PRIMARY KEY)" \
               "SELECT create_reference_table('public.citus_share_schema')" \
               "DROP TABLE public.citus_share_schema"; do
        psql_at "$CITUS_PORT" "$CITUS_DB" "$sql" >/dev/null
    done
}

up() {
    mkdir -p "$CITUS_DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$CITUS_DIR"; fi
    for port in $PORTS; do init_node "$port"; start_node "$port"; done
    for port in $PORTS; do create_db "$port"; done
    join_workers
    share_public_schema
    echo "citus: coordinator postgresql://postgres@127.0.0.1:$CITUS_PORT/$CITUS_DB"
}

down() {
    # Every node under CITUS_DIR, whatever CITUS_WORKERS says (a third worker included).
    for dir in "$CITUS_DIR"/node-*; do
        [ -f "$dir/PG_VERSION" ] || continue
        as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$dir"
    done
    rmdir "$CITUS_DIR" 2>/dev/null || true
}

status() {
    for port in $PORTS; do
        if as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$port")" status >/dev/null 2>&1
        then echo "node $port: running"; else echo "node $port: stopped"; fi
    done
    psql_at "$CITUS_PORT" "$CITUS_DB" \
        "SELECT nodename || ':' || nodeport || ' ' || noderole FROM pg_dist_node ORDER BY nodeport" \
        2>/dev/null || true
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
