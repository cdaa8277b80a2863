#!/usr/bin/env bash
# Solid Notifications under load (issue: re-users): latency from a PUT to
# its notification with 1, 100 and 5,000 channels open (and fanned out: 100
# and 5,000 on the same document),
# and the PUT throughput cost of 5,000 subscriptions on other documents
# against notifications off, same build, one run.
# Writes bench/results/notify.json and bench/results/notify.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
target="${CARGO_TARGET_DIR:-target}"
"$target/release/selfdata-bench" notify --writes "${WRITES:-500}" --rounds "${ROUNDS:-5}" > bench/results/notify.json
python3 - > bench/results/notify.md <<'PY'
import json, subprocess
r = json.load(open("bench/results/notify.json"))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(f"# Notifications under load (commit {commit}, `bash bench/notify.sh`)\n")
print("Real loopback sockets; each PUT goes through the whole router (token, DPoP, WAC, the store). "
      "The latency runs from the PUT's start to the probe channel's notification, so it includes the PUT (its own time beside it).\n")
print("| channels open | following the document | notification p50 | p99 | PUT alone p50 | p99 | target |")
print("|--:|--:|--:|--:|--:|--:|--:|")
for l in r["latency"]:
    following = f"{l['subscriptions']:,} (one socket each)" if l["on_the_same_document"] else "1"
    target = "p99 < 50 ms" if not l["on_the_same_document"] else "(fan-out, no target)"
    print(f"| {l['subscriptions']:,} | {following} | {l['notification_p50_ms']:.1f} ms | {l['notification_p99_ms']:.1f} ms | {l['put_p50_ms']:.1f} ms | {l['put_p99_ms']:.1f} ms | {target} |")
t = r["put_throughput"]
print(f"\nPUT throughput, {t['writers']} writers, median of {t['rounds']} alternating rounds of {t['writes_per_round']} PUTs: "
      f"{t['off_per_second']:,.0f}/s with notifications off, {t['with_5000_subscriptions_per_second']:,.0f}/s with 5,000 channels open on other documents: "
      f"cost {t['cost_percent']:.1f} % (target < 5 %).")
PY
cat bench/results/notify.md
