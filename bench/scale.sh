#!/usr/bin/env bash
# City scale in one run, on this machine: GET and PUT of a 2 KB Turtle
# resource and the energy monthly summary (three years of half-hourly
# readings) through (a) one server on the embedded SQLite engine, (b) one
# server on PostgreSQL, (c) two servers on PostgreSQL behind nginx; the same
# closed-loop load (`selfdata-bench load`, 16 connections, a bearer token)
# against each, the setups taking turns. Then PODS pods (default 1,000,000)
# provisioned on PostgreSQL: time, database size, and the memory of an idle
# server over them. Writes bench/results/scale.json and bench/results/scale.md.
#
# Knobs: DURATION (seconds a run, default 5), REPEATS (default 3, the
# median kept), CONNECTIONS (default 16), PODS (default 1000000),
# BENCH_WORK (scratch, default target/bench-work). Needs PostgreSQL and
# nginx (scripts/postgres.sh and scripts/system-deps.sh --browser install them).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DURATION=${DURATION:-5}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-16}
PODS=${PODS:-1000000}
BIN=${CARGO_TARGET_DIR:-$REPO/target}/release
OUT=$REPO/bench/results
log() { printf '[scale %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "building (release)"
cargo build --release --locked -p selfdata -p selfdata-bench >&2
BENCH=$BIN/selfdata-bench
SELFDATA=$BIN/selfdata
PG=$(bash scripts/postgres.sh start)
BENCH_WORK=${BENCH_WORK:-$REPO/target/bench-work}
mkdir -p "$BENCH_WORK"
WORK=$(mktemp -d "$BENCH_WORK/scale.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
wait_http() {
    for _ in $(seq 1 240); do
        curl -s -o /dev/null --max-time 2 "$1" && return 0
        sleep 0.25
    done
    log "no answer from $1"
    exit 1
}
database() { # NAME: a fresh database, its URL
    psql -q "$PG" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    echo "${PG%/*}/$1"
}
export SELFDATA_MASTER_KEY
SELFDATA_MASTER_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export SELFDATA_LOG=warn
"$BENCH" gen-turtle --bytes 2048 >"$WORK/doc.ttl"
"$BENCH" gen-energy --years 3 >"$WORK/energy.csv"

# setup NAME PORT BASE_URL [DATABASE_URL]: a pod `bench` with three years of
# electricity, its bearer token in $WORK/NAME.token.
provision() {
    local name=$1 base=$2 db=${3:-}
    local env=(env)
    [[ -n $db ]] && env+=(SELFDATA_DATABASE_URL="$db")
    "${env[@]}" "$SELFDATA" pod create bench --data "$WORK/$name" --base-url "$base" >"$WORK/$name.pod"
    "${env[@]}" "$SELFDATA" import --pod bench --data "$WORK/$name" "$WORK/energy.csv" >/dev/null
}
serve() { # NAME DATA PORT BASE_URL [DATABASE_URL]
    local env=(env)
    [[ -n ${5:-} ]] && env+=(SELFDATA_DATABASE_URL="$5")
    "${env[@]}" "$SELFDATA" serve --addr "127.0.0.1:$3" --data "$WORK/$2" --base-url "$4" \
        >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
}
token() { # NAME BASE_URL
    local id secret
    id=$(sed -n 's/^client_id=//p' "$WORK/$1.pod")
    secret=$(sed -n 's/^client_secret=//p' "$WORK/$1.pod")
    curl -sf -u "$id:$secret" -d grant_type=client_credentials "$2/idp/token" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# (a) SQLite, one server
A=http://127.0.0.1:38501
provision sqlite "$A"
serve sqlite sqlite 38501 "$A"
# (b) PostgreSQL, one server
B=http://127.0.0.1:38502
DB_B=$(database scale_one)
provision pg1 "$B" "$DB_B"
serve pg1 pg1 38502 "$B" "$DB_B"
# (c) PostgreSQL, two servers behind nginx on 38503
C=http://127.0.0.1:38503
DB_C=$(database scale_two)
provision pg2 "$C" "$DB_C"
serve pg2a pg2 38504 "$C" "$DB_C"
serve pg2b pg2 38505 "$C" "$DB_C"
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/f; uwsgi_temp_path $WORK/nginx/u; scgi_temp_path $WORK/nginx/s;
  upstream selfdata { server 127.0.0.1:38504; server 127.0.0.1:38505; keepalive 64; }
  server {
    listen 127.0.0.1:38503;
    location / {
      proxy_pass http://selfdata; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_set_header Host \$http_host;
    }
  }
}
CONF
/usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
PIDS+=($!)
for url in "$A/health" "$B/health" "http://127.0.0.1:38504/health" "http://127.0.0.1:38505/health" "$C/health"; do
    wait_http "$url"
done
TA=$(token sqlite "$A")
TB=$(token pg1 "$B")
TC=$(token pg2 "$C")
for pair in "$A $TA" "$B $TB" "$C $TC"; do
    set -- $pair
    curl -sf -X PUT -H "Authorization: Bearer $2" -H 'Content-Type: text/turtle' \
        --data-binary @"$WORK/doc.ttl" "$1/bench/doc.ttl" >/dev/null
done
log "servers up: sqlite $A, postgresql $B, two behind nginx $C"

RAW=$WORK/runs.jsonl
: >"$RAW"
SUMMARY="/bench/selfdata/energy/api/consumption?fluid=electricity&from=2024-01-01&to=2027-01-01&step=month&unit=kWh"
run() { # setup scenario url token [args]
    local setup=$1 scenario=$2 url=$3 tok=$4 line
    shift 4
    line=$("$BENCH" load --url "$url" -H "Authorization: Bearer $tok" --connections "$CONNECTIONS" \
        --duration "$DURATION" --tag "setup=$setup" --tag "scenario=$scenario" "$@")
    echo "$line" >>"$RAW"
    log "$setup $scenario: $(sed -E 's/.*"p50_ms":([^,]*).*"p99_ms":([^,]*).*"rps":([^,]*).*/rps=\3 p50=\1ms p99=\2ms/' <<<"$line")"
}
for pair in "sqlite $A $TA" "postgresql $B $TB" "postgresql_x2_nginx $C $TC"; do
    set -- $pair
    "$BENCH" load --url "$2/bench/doc.ttl" -H "Authorization: Bearer $3" --connections 16 --duration 2 >/dev/null
done
for ((r = 0; r < REPEATS; r++)); do
    for pair in "sqlite $A $TA" "postgresql $B $TB" "postgresql_x2_nginx $C $TC"; do
        set -- $pair
        run "$1" get_2kb "$2/bench/doc.ttl" "$3"
        run "$1" put_2kb "$2/bench/doc.ttl" "$3" --method PUT --body-file "$WORK/doc.ttl"
        run "$1" energy_monthly "$2$SUMMARY" "$3"
    done
done
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
PIDS=()

log "provisioning $PODS pods on PostgreSQL"
DB_P=$(database scale_pods)
"$BENCH" pods --database-url "$DB_P" --count "$PODS" --concurrency 16 >"$WORK/pods.json"
cat "$WORK/pods.json" >&2
SELFDATA_DATABASE_URL="$DB_P" "$SELFDATA" serve --addr 127.0.0.1:38506 --data "$WORK/pods" \
    --base-url http://127.0.0.1:38506 >"$WORK/pods.log" 2>&1 &
PODS_PID=$!
PIDS+=($PODS_PID)
wait_http http://127.0.0.1:38506/health
curl -s -o /dev/null http://127.0.0.1:38506/resident0000001/profile/card
sleep 5
RSS_KB=$(awk '/VmRSS/ {print $2}' /proc/$PODS_PID/status)
log "idle server over $PODS pods: $RSS_KB KiB resident"

mkdir -p "$OUT"
python3 - "$RAW" "$WORK/pods.json" "$RSS_KB" "$DURATION" "$REPEATS" "$CONNECTIONS" "$OUT" <<'PY'
import json, statistics, subprocess, sys
raw, pods_file, rss_kb, duration, repeats, conns, out = sys.argv[1:]
runs = [json.loads(l) for l in open(raw) if l.strip()]
pods = json.load(open(pods_file))
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
cells = {}
for r in runs:
    cells.setdefault((r["scenario"], r["setup"]), []).append(r)
def median(rs, key):
    return statistics.median(x[key] for x in rs)
result = {"commit": rev, "duration_s": float(duration), "repeats": int(repeats), "connections": int(conns),
          "runs": runs, "pods": pods, "idle_server_rss_kib": int(rss_kb)}
json.dump(result, open(f"{out}/scale.json", "w"), indent=1)
setups = ["sqlite", "postgresql", "postgresql_x2_nginx"]
lines = [f"# City scale (commit {rev}, `bash bench/scale.sh`)", "",
         f"{conns} connections, {duration} s a run, median of {repeats} runs, the setups taking turns; a bearer token; 2 cores.", "",
         "| scenario | SQLite, 1 server | PostgreSQL, 1 server | PostgreSQL, 2 servers + nginx | PG / SQLite | 2+nginx / 1 |",
         "|---|--:|--:|--:|--:|--:|"]
for sc in ["get_2kb", "put_2kb", "energy_monthly"]:
    vals = {s: cells.get((sc, s), []) for s in setups}
    rps = {s: median(v, "rps") if v else float("nan") for s, v in vals.items()}
    p99 = {s: median(v, "p99_ms") if v else float("nan") for s, v in vals.items()}
    errs = sum(x.get("errors", 0) for v in vals.values() for x in v)
    cell = lambda s: f"{rps[s]:,.0f}/s (p99 {p99[s]:.1f} ms)"
    lines.append(f"| {sc}{' ⚠ errors' if errs else ''} | {cell('sqlite')} | {cell('postgresql')} | {cell('postgresql_x2_nginx')} | "
                 f"{rps['postgresql']/rps['sqlite']:.2f} | {rps['postgresql_x2_nginx']/rps['postgresql']:.2f} |")
lines += ["", f"Pods provisioned on PostgreSQL: {pods['pods_created']:,} in {pods['seconds']:.0f} s "
          f"({pods['pods_per_second']:,.0f} pods/s, {pods['concurrency']} at once); database {pods['database_bytes']/1e9:.2f} GB "
          f"({pods['database_bytes']/max(pods['pods_in_database'],1):,.0f} bytes a pod); an idle server over them holds {int(rss_kb)/1024:.0f} MiB."]
open(f"{out}/scale.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
