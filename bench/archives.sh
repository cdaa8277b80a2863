#!/usr/bin/env bash
# The GDPR archive benchmark (issue 13), one run: a generated Google Takeout
# of SIZE_MB (default 1000) written streamed to a temporary directory, then
# each in its own process timed by /usr/bin/time (wall time, peak RSS):
# `unzip -p` of it to /dev/null (the baseline), selfdata's archive reader
# alone, and `selfdata import` end to end (App::import_file: the archive
# read where it is, evidence written, the archive kept sealed in the pod).
# Writes bench/results/archives-<date>.json and .md.
# Knobs: SIZE_MB, TMPDIR; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
bin=${CARGO_TARGET_DIR:-target}/release/selfdata-bench
day=$(date -u +%Y-%m-%d)
out=bench/results/archives-$day.json
"$bin" archives --size-mb "${SIZE_MB:-1000}" > "$out"
python3 - "$out" > "bench/results/archives-$day.md" <<'PY'
import json, sys, subprocess
r = json.load(open(sys.argv[1]))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
a, u, rd, im = r["archive"], r["unzip"], r["read"], r["import"]
def judge(ok, target):
    return f"{target}: {'met' if ok else '**missed**'}"
print(f"# GDPR archive benchmark (commit {commit}, `bash bench/archives.sh`)\n")
print(f"A generated Google Takeout of {a['bytes'] / 1e6:,.0f} MB ({a['items']:,} My Activity records in French, "
      f"{a['evidence']:,} pieces of evidence, the rest filler as a real Takeout's photos are), written streamed in "
      f"{a['write_seconds']:.0f} s. One run; each path in its own process under `/usr/bin/time` (wall time, peak RSS); "
      "the archive is in the page cache.\n")
print("| path | time | peak RSS | time ÷ unzip | target |")
print("|---|--:|--:|--:|---|")
print(f"| baseline: `unzip -p` to /dev/null | {u['seconds']:.1f} s | {u['peak_rss_mb']:.0f} MB | 1× | |")
print(f"| the reader alone (`read_archive`: names checked, My Activity streamed, evidence kept) | {rd['seconds']:.1f} s | {rd['peak_rss_mb']:.0f} MB | {r['read_vs_unzip_time']:.2f}× | |")
print(f"| `selfdata import` end to end (hashed, read, evidence written, the archive kept sealed, one commit) | {im['seconds']:.1f} s | {im['peak_rss_mb']:.0f} MB | {r['import_vs_unzip_time']:.2f}× | "
      f"{judge(r['import_vs_unzip_time'] <= 2, '≤ 2× unzip')}; {judge(im['peak_rss_mb'] < 200, '< 200 MB')} |")
PY
cat "bench/results/archives-$day.md"
