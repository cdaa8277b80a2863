#!/usr/bin/env bash
# selfdata vs Community Solid Server 7.x, and vs the bare ceilings, in one run
# on this machine: requests/s and p50/p99 latency at 1, 16 and 64 concurrent
# connections for GET and PUT of a 2 KB Turtle resource, GET of a container
# with 10,000 children, and an N3 PATCH, all driven by the same closed-loop
# load generator (`selfdata-bench load`) against servers on 127.0.0.1 only.
# Writes bench/results/solid.json and bench/results/solid.md.
#
# Knobs (environment): DURATION (seconds per run, default 3), REPEATS (runs
# per scenario and server, interleaved; the median is reported; default 3), LEVELS
# (default "1 16 64"), CSS_VERSION (default 7.2.0), CSS_DIR (npm cache folder,
# default ~/.cache/selfdata-bench/css), BENCH_WORK (scratch folder on a real
# disk, default target/bench-work), SD_PORT/CSS_PORT/BASE_PORT (38401-38403),
# KEEP_WORK=1 to keep the scratch folder; CARGO_TARGET_DIR is honoured;
# BENCH_REV names the revision in the results (default: git describe of HEAD).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DURATION=${DURATION:-3}
REPEATS=${REPEATS:-3}
LEVELS=${LEVELS:-"1 16 64"}
CSS_VERSION=${CSS_VERSION:-7.2.0}
CSS_DIR=${CSS_DIR:-$HOME/.cache/selfdata-bench/css}
SD_PORT=${SD_PORT:-38401}
CSS_PORT=${CSS_PORT:-38402}
BASE_PORT=${BASE_PORT:-38403}
CHILDREN=10000
OUT=$REPO/bench/results
BIN=${CARGO_TARGET_DIR:-$REPO/target}/release

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- build -------------------------------------------------------------------
log "building (release)"
cargo build --release -p selfdata -p selfdata-bench >&2
BENCH=$BIN/selfdata-bench
SELFDATA=$BIN/selfdata

# --- Community Solid Server ----------------------------------------------------
CSS_PKG=$CSS_DIR/node_modules/@solid/community-server
if [[ ! -f $CSS_PKG/package.json ]] || ! grep -q "\"version\": \"$CSS_VERSION\"" "$CSS_PKG/package.json"; then
    log "installing @solid/community-server@$CSS_VERSION into $CSS_DIR"
    mkdir -p "$CSS_DIR"
    [[ -f $CSS_DIR/package.json ]] || echo '{"name":"selfdata-bench-css","private":true}' >"$CSS_DIR/package.json"
    npm install --prefix "$CSS_DIR" --no-audit --no-fund "@solid/community-server@$CSS_VERSION" >&2
fi
CSS_REAL_VERSION=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$CSS_PKG/package.json" | head -1)

# --- scratch folder, servers, cleanup ------------------------------------------
BENCH_WORK=${BENCH_WORK:-$REPO/target/bench-work}
mkdir -p "$BENCH_WORK"
WORK=$(mktemp -d "$BENCH_WORK/run.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ -n ${CSS_PID:-} ]]; then kill -KILL "$CSS_PID" 2>/dev/null || true; fi
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP_WORK:-0} != 1 ]]; then rm -rf "$WORK"; else log "scratch kept in $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # URL [seconds]
    local i
    for ((i = 0; i < ${2:-60} * 4; i++)); do
        if curl -s -o /dev/null --max-time 2 "$1"; then return 0; fi
        sleep 0.25
    done
    log "no answer from $1"
    return 1
}

must_be_clean() { # JSON line of a load run
    if ! grep -q '"errors":0[,}]' <<<"$1" || ! grep -q '"incomplete":0[,}]' <<<"$1"; then
        log "seeding failed: $1"
        exit 1
    fi
}
put_once() { # URL [header]
    local line
    line=$("$BENCH" load --url "$1" --method PUT --body-file "$WORK/doc.ttl" ${2:+-H "$2"} \
        --connections 1 --requests 1 --duration 30)
    must_be_clean "$line"
}

# CPU ticks (user + system) a process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Every run starts on idle servers: wait (at most 120 s) until none of the
# server processes used more than 5% of a core over half a second. CSS keeps
# working on requests whose client gave up, and SQLite may be checkpointing.
wait_idle() {
    local i j pid busy before=() after=()
    for ((i = 0; i < 240; i++)); do
        before=()
        for pid in "${PIDS[@]}"; do before+=("$(cpu_ticks "$pid")"); done
        sleep 0.5
        busy=0
        after=()
        for pid in "${PIDS[@]}"; do after+=("$(cpu_ticks "$pid")"); done
        for ((j = 0; j < ${#PIDS[@]}; j++)); do
            if ((after[j] - before[j] > 2)); then busy=1; fi
        done
        if ((busy == 0)); then return 0; fi
    done
    log "servers still busy after 120 s; going on"
}
start_css() {
    node "$CSS_PKG/bin/server.js" -c @css:config/file-root.json -f "$WORK/css" \
        -p "$CSS_PORT" -b "$CSSURL/" -l warn >>"$WORK/css.log" 2>&1 &
    CSS_PID=$!
    PIDS+=("$CSS_PID")
}
stop_css() { # SIGKILL: its data is scratch, and it may be deep in abandoned work
    local pid kept=()
    kill -KILL "$CSS_PID" 2>/dev/null || true
    wait "$CSS_PID" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do [[ $pid == "$CSS_PID" ]] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
}
css_warmup() {
    "$BENCH" load --url "$CSSURL/doc.ttl" --connections 16 --duration 3 >/dev/null
    "$BENCH" load --url "$CSSURL/doc.ttl" --method PUT --body-file "$WORK/doc.ttl" \
        --connections 4 --duration 2 >/dev/null
    put_once "$CSSURL/doc.ttl"
}
# After CSS gave up on requests (its lock timeout) it may go on with them for
# minutes: start it afresh instead of waiting.
css_restart() {
    stop_css
    start_css
    wait_http "$CSSURL/" 120
    css_warmup
}

SD=http://127.0.0.1:$SD_PORT
CSSURL=http://127.0.0.1:$CSS_PORT
BASE=http://127.0.0.1:$BASE_PORT

log "scratch in $WORK"
"$BENCH" gen-turtle --bytes 2048 >"$WORK/doc.ttl"
printf '<#it> <#n> "UNIQUE".\n' >"$WORK/child.ttl"

"$SELFDATA" pod create bench --data "$WORK/selfdata" --base-url "$SD" >"$WORK/pod.txt"
CLIENT_ID=$(sed -n 's/^client_id=//p' "$WORK/pod.txt")
CLIENT_SECRET=$(sed -n 's/^client_secret=//p' "$WORK/pod.txt")
SELFDATA_LOG=warn "$SELFDATA" serve --addr "127.0.0.1:$SD_PORT" --data "$WORK/selfdata" \
    --base-url "$SD" >"$WORK/selfdata.log" 2>&1 &
PIDS+=($!)
wait_http "$SD/health"
# A bearer token from the client-credentials grant (no DPoP key): the pod
# benchmark measures storage and protocol, not signature checks.
TOKEN=$(curl -sf -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$SD/idp/token" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
AUTH="Authorization: Bearer $TOKEN"
mkdir -p "$WORK/css"
"$BENCH" baseline-server --addr "127.0.0.1:$BASE_PORT" --db "$WORK/baseline.db" \
    --body-file "$WORK/doc.ttl" >"$WORK/baseline.log" 2>&1 &
PIDS+=($!)
wait_http "$SD/health"
wait_http "$BASE/doc.ttl"

start_css
wait_http "$CSSURL/" 120
log "servers up: selfdata $SD, CSS $CSS_REAL_VERSION $CSSURL, baseline $BASE"

# --- seeds -------------------------------------------------------------------
put_once "$SD/bench/doc.ttl" "$AUTH"
put_once "$CSSURL/doc.ttl"
log "seeding $CHILDREN children into selfdata $SD/bench/big/"
must_be_clean "$("$BENCH" load --url "$SD/bench/big/rUNIQUE.ttl" --method PUT -H "$AUTH" \
    --body-file "$WORK/child.ttl" --connections 16 --requests $CHILDREN --duration 300)"
log "seeding $CHILDREN children into CSS's folder $WORK/css/big/"
mkdir -p "$WORK/css/big"
for i in $(seq -f %010g 0 $((CHILDREN - 1))); do
    printf '<#it> <#n> "%s".\n' "$i" >"$WORK/css/big/r$i.ttl"
done
count_children() { # URL [header]
    curl -s --max-time 120 ${2:+-H "$2"} "$1" | grep -o 'r[0-9]\{10\}\.ttl' | sort -u | wc -l
}
n=$(count_children "$SD/bench/big/" "$AUTH")
[[ $n == "$CHILDREN" ]] || { log "selfdata lists $n children, not $CHILDREN"; exit 1; }
n=$(count_children "$CSSURL/big/")
[[ $n == "$CHILDREN" ]] || { log "CSS lists $n children, not $CHILDREN"; exit 1; }
log "both list $CHILDREN children"

# --- runs --------------------------------------------------------------------
RAW=$WORK/runs.jsonl
: >"$RAW"
run() { # server scenario connections [load args...]
    local server=$1 scenario=$2 conns=$3 line
    shift 3
    wait_idle
    line=$("$BENCH" load --connections "$conns" --tag "server=$server" --tag "scenario=$scenario" "$@")
    echo "$line" >>"$RAW"
    log "$server $scenario c=$conns: $(sed -E 's/.*"p50_ms":([^,]*).*"p99_ms":([^,]*).*"rps":([^,]*).*/rps=\3 p50=\1ms p99=\2ms/' <<<"$line")$(grep -q '"flagged":true' <<<"$line" && echo ' FLAGGED')"
}
reset_patch_target() {
    put_once "$SD/bench/patch.ttl" "$AUTH"
    put_once "$CSSURL/patch.ttl"
}

log "warming up"
"$BENCH" load --url "$SD/bench/doc.ttl" -H "$AUTH" --connections 16 --duration 2 >/dev/null
"$BENCH" load --url "$BASE/doc.ttl" --connections 16 --duration 2 >/dev/null
css_warmup

for c in $LEVELS; do
    # Each scenario runs REPEATS times, the servers taking turns, so that the
    # machine's drift (it is a shared VM) falls alike on all of them; the
    # report keeps each one's median run.
    for ((r = 0; r < REPEATS; r++)); do
        run selfdata get_2kb "$c" --url "$SD/bench/doc.ttl" -H "$AUTH" --duration "$DURATION"
        run css get_2kb "$c" --url "$CSSURL/doc.ttl" --duration "$DURATION" --grace 30
        run baseline get_2kb "$c" --url "$BASE/doc.ttl" --duration "$DURATION"
    done
    for ((r = 0; r < REPEATS; r++)); do
        run selfdata put_2kb "$c" --url "$SD/bench/doc.ttl" -H "$AUTH" --method PUT \
            --body-file "$WORK/doc.ttl" --duration "$DURATION"
        run css put_2kb "$c" --url "$CSSURL/doc.ttl" --method PUT --body-file "$WORK/doc.ttl" \
            --duration "$DURATION" --grace 30
    done
    # Each PATCH adds a triple: start every run from the 2 KB document and
    # cap the count so the resource stays small (at most 1,000 more triples).
    for ((r = 0; r < REPEATS; r++)); do
        reset_patch_target
        run selfdata patch_n3 "$c" --url "$SD/bench/patch.ttl" -H "$AUTH" --method PATCH \
            --duration "$DURATION" --requests 1000
        run css patch_n3 "$c" --url "$CSSURL/patch.ttl" --method PATCH \
            --duration "$DURATION" --requests 1000 --grace 30
    done
    for ((r = 0; r < REPEATS; r++)); do
        run selfdata get_container_10k "$c" --url "$SD/bench/big/" -H "$AUTH" --duration "$DURATION"
    done
    # CSS needs seconds per listing: once, long enough at one connection for
    # a few answers; its own 6 s lock timeout bounds the concurrent levels.
    if [[ $c == 1 ]]; then css_secs=10; else css_secs=$DURATION; fi
    run css get_container_10k "$c" --url "$CSSURL/big/" --duration "$css_secs" --grace 60
    css_restart
done

# CSS is done: stop it before the disk-bound fsync ceiling.
stop_css
wait_idle
log "bare SQLite commits (fsync ceiling)"
"$BENCH" fsync-baseline --db "$WORK/fsync.db" --seconds "$DURATION" >>"$RAW"
tail -1 "$RAW" >&2

# --- report ------------------------------------------------------------------
mkdir -p "$OUT"
if [[ -n ${BENCH_REV:-} ]]; then
    GIT_REV=$BENCH_REV
else
    GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD 2>/dev/null || GIT_REV="$GIT_REV+dirty"
fi
"$BENCH" report --input "$RAW" --json "$OUT/solid.json" --markdown "$OUT/solid.md" \
    --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --meta "nproc=$(nproc)" \
    --meta "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
    --meta "memory=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
    --meta "kernel=$(uname -r)" \
    --meta "selfdata=$GIT_REV" \
    --meta "css=$CSS_REAL_VERSION (file backend, config file-root.json)" \
    --meta "node=$(node --version)" \
    --meta "rustc=$(rustc --version | cut -d' ' -f2)" \
    --meta "duration_s=$DURATION" \
    --meta "repeats=$REPEATS"
log "wrote $OUT/solid.json and $OUT/solid.md"
cat "$OUT/solid.md"
