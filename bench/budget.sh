#!/usr/bin/env bash
# The money benchmark (issue 11), in one process and one run: ten years of three
# busy accounts (about 100,000 transactions, Crédit Agricole CSV files) imported
# end to end and again (all duplicates), the transactions API for one month and
# for ten years, the summary by category when the service has one, and the
# budget page; every figure beside a bare SQLite baseline measured in the same
# run, and reported as a ratio to it.
# Writes bench/results/budget-<date>.json and bench/results/budget-<date>.md.
# Knobs: REQUESTS (timed requests per measure, default 300); CARGO_TARGET_DIR
# is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
cargo build --release --locked -p selfdata-bench
build_s=$(( $(date +%s) - started ))
bin=${CARGO_TARGET_DIR:-target}/release/selfdata-bench
day=$(date -u +%Y-%m-%d)
out=bench/results/budget-$day.json
"$bin" budget --requests "${REQUESTS:-300}" > "$out"
python3 - "$out" "$build_s" > "bench/results/budget-$day.md" <<'PY'
import json, sys, subprocess
r = json.load(open(sys.argv[1]))
build_s = int(sys.argv[2])
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
api, sql = r["api_transactions_ms"], r["sqlite_select_ms"]
group, summ, page = r["sqlite_group_by_month_ms"], r["api_summary_ms"], r["page_ms"]
def ms(d):
    return f"{d['p50']:.2f} / {d['p99']:.2f} ms" if "p50" in d else f"not measured: {d}"
def x(v):
    if v is None:
        return "—"
    return f"{v:.1f}×" if v >= 1 else f"{v:.2f}× ({1 / v:.0f}× faster)"
print(f"# Money benchmark (commit {commit}, `bash bench/budget.sh`, release build {build_s} s)\n")
print(f"{r['transactions']:,} transactions in {r['files']} Crédit Agricole CSV files ({r['bytes']/1e6:.1f} MB), "
      "3 accounts × 10 years. Times are server time (the whole router in process, DPoP token and WAC "
      "included); ratios are selfdata ÷ the bare SQLite baseline of the same run (lower is better, 1× = as fast as the baseline).\n")
print("| measure | selfdata | baseline (bare SQLite) | ratio |")
print("|---|--:|--:|--:|")
print(f"| import end to end, `App::import_file` × {r['files']} | {r['import_seconds']:.2f} s ({r['import_transactions_per_second']:,.0f} tx/s) | INSERT in one transaction {r['sqlite_insert_seconds']:.2f} s | {x(r['import_vs_sqlite_insert'])} |")
print(f"| the same files again (all duplicates, nothing written) | {r['reimport_seconds']:.2f} s | | |")
print(f"| first request after the import (ledger built), one month | {r['cold_first_request_ms']:.0f} ms | | |")
n = r["rows_returned"]
print(f"| `GET …/api/transactions`, one month ({n['month']} rows), p50 / p99 | {ms(api['month'])} | `SELECT … WHERE day >= ? AND day < ?` {ms(sql['month'])} | {x(r['api_vs_sqlite_month'])} |")
print(f"| `GET …/api/transactions`, ten years ({n['ten_years']:,} rows), p50 / p99 | {ms(api['ten_years'])} | same query {ms(sql['ten_years'])} | {x(r['api_vs_sqlite_ten_years'])} |")
print(f"| `GET …/api/summary`, ten years by month | {ms(summ)} | `GROUP BY month` {ms(group)} | {x(r['api_summary_vs_sqlite_group_by'])} |")
print(f"| page `/app/budget` with a session, p50 / p99 | {ms(page)} | (one-month SELECT) | {x(r['page_vs_sqlite_month'])} |")
PY
cat "bench/results/budget-$day.md"
