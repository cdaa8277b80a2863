#!/usr/bin/env bash
# The energy benchmark (issue: energy and water dashboard), in one process and one run:
# ten-year half-hourly import, monthly aggregation through the JSON API against an
# SQL GROUP BY baseline in SQLite, and the dashboard page's server time.
# Writes bench/results/energy.json and bench/results/energy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
out=bench/results/energy.json
./target/release/selfdata-bench energy --requests "${REQUESTS:-300}" > "$out"
python3 - "$out" > bench/results/energy.md <<'PY'
import json, sys, subprocess
r = json.load(open(sys.argv[1]))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
api, sql, book = r["api_month_aggregation_ms"], r["sqlite_group_by_ms"], r["book_month_aggregation_ms"]
d = r["dashboard_ms"] or {}
print(f"# Energy benchmark (commit {commit}, `bash bench/energy.sh`)\n")
print("| measure | result | target |")
print("|---|--:|--:|")
print(f"| import of {r['rows']:,} half-hourly rows (10 years), end to end | {r['import_seconds']:.3f} s ({r['import_rows_per_second']:,.0f} rows/s) | < 0.5 s |")
print(f"| of which parsing | {r['parse_seconds']*1000:.1f} ms | |")
print(f"| monthly aggregation of 10 years through the API, server time p50 / p99 | {api['p50']:.3f} / {api['p99']:.3f} ms | < 1 ms |")
print(f"| same, the in-memory book alone, p50 | {book['p50']:.3f} ms | |")
print(f"| baseline: SQLite GROUP BY month over one row per reading, p50 | {sql['p50']:.1f} ms | |")
print(f"| API vs baseline | {r['api_vs_sqlite_speedup']:.0f}× faster | ≥ 50× |")
if "p50" in d:
    print(f"| dashboard page `GET /energy`, server time p50 / p99 | {d['p50']:.2f} / {d['p99']:.2f} ms | < 30 ms |")
else:
    print(f"| dashboard page | not measured: {d} | < 30 ms |")
PY
cat bench/results/energy.md
