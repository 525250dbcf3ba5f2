#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, on a free loopback port.
#
#   eval "$(scripts/postgres.sh start)"   # prints exports: OUTPOST_TEST_POSTGRES_URL, OUTPOST_TEST_POSTGRES_DIR
#   scripts/postgres.sh stop "$OUTPOST_TEST_POSTGRES_DIR"
#
# PostgreSQL refuses to run as root, so the cluster runs as the `postgres` user (created by
# Debian's package). Pass --durable to keep fsync on (benchmarks); tests turn it off for speed.
set -euo pipefail

command="${1:-}"
case "$command" in
start)
    durable=false
    [ "${2:-}" = "--durable" ] && durable=true
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$bindir/initdb" ] || { echo "PostgreSQL is not installed; run scripts/install-dependencies.sh." >&2; exit 1; }
    run_as=()
    if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
    dir=$(mktemp -d /tmp/outpost-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    "${run_as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB"
    if [ "$durable" = false ]; then options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
    "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -o "$options" -l "$dir/server.log" -w start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    "${run_as[@]}" "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE outpost_test" >/dev/null
    echo "export OUTPOST_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/outpost_test"
    echo "export OUTPOST_TEST_POSTGRES_DIR=$dir"
    ;;
stop)
    dir="${2:?usage: scripts/postgres.sh stop DIR}"
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    run_as=()
    if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
    "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/postgres.sh start [--durable] | stop DIR" >&2
    exit 2
    ;;
esac
