#!/usr/bin/env bash
# A PostgreSQL primary and its synchronous standby under pg_auto_failover
# (a monitor and two nodes) on loopback, for the failover test:
#   bash scripts/pg-failover.sh start     prints the multi-host URL clients use
#   bash scripts/pg-failover.sh failover  makes the standby the primary
#   bash scripts/pg-failover.sh stop
# Installs Debian's postgresql and pg_auto_failover when missing. Data under
# $PGAF_DIR (default /tmp/selfdata-pgaf); ports $PGAF_PORT (default 16000)
# for the monitor and the two next ones for the nodes.
set -euo pipefail
dir=${PGAF_DIR:-/tmp/selfdata-pgaf}
port=${PGAF_PORT:-16000}
if ! command -v pg_autoctl >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/lib/pgautofailover.so >/dev/null 2>&1; then
    echo "== installing Debian's pg_auto_failover" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "postgresql-${version:-15}-auto-failover" pg-auto-failover-cli >/dev/null
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- env PATH="$bin:$PATH" HOME="$dir" "$@"
    else
        env PATH="$bin:$PATH" HOME="$dir" "$@"
    fi
}
monitor="postgres://autoctl_node@127.0.0.1:$port/pg_auto_failover?sslmode=disable"
url="postgres://postgres@127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))/postgres?target_session_attrs=read-write&connect_timeout=2"
common=(--hostname 127.0.0.1 --auth trust --ssl-mode disable --no-ssl)

# Waits until the monitor reports one primary and one secondary.
wait_ready() {
    for _ in $(seq 1 240); do
        states=$(as_owner pg_autoctl show state --pgdata "$dir/mon" 2>/dev/null || true)
        if echo "$states" | grep -q "| *primary *| *primary" && echo "$states" | grep -q "| *secondary *| *secondary"; then
            return 0
        fi
        sleep 0.5
    done
    echo "pg_auto_failover did not settle:" >&2
    as_owner pg_autoctl show state --pgdata "$dir/mon" >&2 || true
    return 1
}

case "${1:-start}" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/mon/PG_VERSION" ]; then
        as_owner pg_autoctl create monitor --pgdata "$dir/mon" --pgport "$port" "${common[@]}" >"$dir/mon.log" 2>&1
    fi
    (as_owner pg_autoctl run --pgdata "$dir/mon" >>"$dir/mon.log" 2>&1 &)
    for n in 1 2; do
        if [ ! -f "$dir/n$n/PG_VERSION" ]; then
            (as_owner pg_autoctl create postgres --pgdata "$dir/n$n" --pgport $((port + n)) "${common[@]}" \
                --monitor "$monitor" --run >"$dir/n$n.log" 2>&1 &)
        else
            (as_owner pg_autoctl run --pgdata "$dir/n$n" >>"$dir/n$n.log" 2>&1 &)
        fi
        # The first node becomes the primary before the second one joins.
        [ "$n" = 1 ] && for _ in $(seq 1 120); do
            as_owner pg_autoctl show state --pgdata "$dir/mon" 2>/dev/null | grep -q "| *single *| *single" && break
            sleep 0.5
        done
    done
    wait_ready
    echo "$url"
    ;;
failover)
    as_owner pg_autoctl perform failover --pgdata "$dir/mon" >/dev/null 2>&1
    wait_ready
    ;;
state)
    as_owner pg_autoctl show state --pgdata "$dir/mon"
    ;;
stop)
    for node in n2 n1 mon; do
        as_owner pg_autoctl stop --pgdata "$dir/$node" >/dev/null 2>&1 || true
    done
    ;;
esac
