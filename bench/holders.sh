#!/usr/bin/env bash
# The data holders' push benchmark (issue 14), one run: a data folder with a
# registered water holder and CONSENTING (default 30000) connected pods,
# copied so both paths start alike; the holder's daily file for CUSTOMERS
# (default 100000) meters. Each path in its own process under
# /usr/bin/time (wall time, peak RSS): the push to POST /holders/v1/pushes
# until the signed receipt, and the baseline, each consenting resident's
# own rows imported one file after another through the resident's import
# path. Writes bench/results/holders-<date>.json and .md.
# Knobs: CUSTOMERS, CONSENTING, MAX_OPEN_PODS (the server's open-pod cache,
# its default when unset), TMPDIR; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
bin=${CARGO_TARGET_DIR:-target}/release/selfdata-bench
day=$(date -u +%Y-%m-%d)
out=bench/results/holders-$day.json
"$bin" holders --customers "${CUSTOMERS:-100000}" --consenting "${CONSENTING:-30000}" ${MAX_OPEN_PODS:+--max-open-pods "$MAX_OPEN_PODS"} > "$out"
python3 - "$out" > "bench/results/holders-$day.md" <<'PY'
import json, sys, subprocess
r = json.load(open(sys.argv[1]))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
p, o = r["push"], r["one_by_one"]
def judge(ok, target):
    return f"{target}: {'met' if ok else '**missed**'}"
ratio = o["out"]["seconds"] / p["out"]["seconds"]
print(f"# Data holders' push benchmark (commit {commit}, `bash bench/holders.sh`)\n")
print(f"A daily water file of {r['customers']:,} meters ({r['file_bytes'] / 1e6:.1f} MB, the water portal's layout "
      f"with a meter column), {r['consenting']:,} of them residents connected to the holder (setup, not timed: "
      f"{r['setup_seconds']:.0f} s); the server's open-pod cache: {r.get('max_open_pods') or 'its default (from the descriptor limit, at most 256)'}. One run; each path in its own process under `/usr/bin/time`; "
      "the time below is the one measured inside (from the request to the receipt, or over all the imports), "
      "the peak RSS is the process's.\n")
print("| path | time | peak RSS | one-by-one ÷ this | target |")
print("|---|--:|--:|--:|---|")
print(f"| baseline: each consenting resident's own file imported one after another (`App::import_file`) | "
      f"{o['out']['seconds']:.1f} s | {o['peak_rss_mb']:.0f} MB | 1× | |")
print(f"| the push: `POST /holders/v1/pushes` to the signed receipt ({p['out']['delivered']:,} delivered, "
      f"{p['out']['skipped']:,} skipped, {p['out']['failed']:,} failed) | {p['out']['seconds']:.1f} s | "
      f"{p['peak_rss_mb']:.0f} MB | {ratio:.1f}× | {judge(ratio >= 5, '≥ 5× faster')}; "
      f"{judge(p['peak_rss_mb'] < 256, '< 256 MB')} |")
PY
cat "bench/results/holders-$day.md"
