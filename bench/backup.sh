#!/usr/bin/env bash
# A backup of a city-sized data folder while the server serves a steady load
# (issue 18): the backup's speed against a plain copy of the same folder, and
# the load's p99 during the backup against the same load without one, in one
# run. PODS (10000) pods of KIB (520) KiB each: about 5 GB.
# Writes bench/results/backup.json and bench/results/backup.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
./target/release/selfdata-bench backup --pods "${PODS:-10000}" --kib-per-pod "${KIB:-520}" \
  --rate "${RATE:-100}" --load-seconds "${LOAD_SECONDS:-60}" --dir "${BENCH_DIR:-.}" > bench/results/backup.json
python3 - > bench/results/backup.md <<'PY'
import json, subprocess
r = json.load(open("bench/results/backup.json"))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
d, w = r["load_during_backup"], r["load_without_backup"]
print(f"# Backup under load (commit {commit}, `bash bench/backup.sh`)\n")
print(f"{r['pods']:,} pods of {r['kib_per_pod']} KiB ({r['backup_bytes']/1e9:.2f} GB backed up); "
      f"a steady {r['rate']} requests/s reading random pods' profiles through the whole router, in process (open loop, latency from when each request was due).\n")
print("| measure | value | target |")
print("|---|--:|--:|")
print(f"| plain copy of the folder | {r['copy_mb_per_s']:.0f} MB/s | baseline |")
print(f"| backup alone | {r['backup_mb_per_s']:.0f} MB/s ({r['backup_seconds']:.0f} s) | |")
print(f"| backup speed / plain copy | {r['backup_speed_vs_copy']:.2f} | ≥ 0.50 |")
print(f"| backup under the load | {r['backup_under_load_mb_per_s']:.0f} MB/s ({r['backup_under_load_seconds']:.0f} s) | |")
print(f"| load p99 without backup | {w['p99_ms']:.1f} ms ({w['per_second']:.0f} req/s) | baseline |")
print(f"| load p99 during backup | {d['p99_ms']:.1f} ms ({d['per_second']:.0f} req/s) | |")
print(f"| p99 during / without | {r['p99_during_vs_without']:.2f} | < 1.50 |")
print(f"| requests over 50 ms, without / during | {w['over_50_ms']} / {d['over_50_ms']} | |")
PY
cat bench/results/backup.md
