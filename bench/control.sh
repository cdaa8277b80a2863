#!/usr/bin/env bash
# The cost of encryption at rest and access logging (issue: control and
# transparency): the same requests against the same build with both on and
# both off, alternating, in one run. Also the access log's proof sizes and
# verification times at a million entries.
# Writes bench/results/control.json and bench/results/control.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
./target/release/selfdata-bench control --requests "${REQUESTS:-2000}" --rounds "${ROUNDS:-5}" > bench/results/control.json
./target/release/selfdata-bench translog --entries "${ENTRIES:-1000000}" > bench/results/translog.json
python3 - > bench/results/control.md <<'PY'
import json, subprocess
c = json.load(open("bench/results/control.json"))
t = json.load(open("bench/results/translog.json"))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(f"# Encryption and access-log cost (commit {commit}, `bash bench/control.sh`)\n")
print(f"In process through the whole router (tokens, DPoP, WAC, store); {c['requests']} requests per measure, median of {c['rounds']} alternating rounds.\n")
print("| requests | both off (req/s) | both on (req/s) | cost | target |")
print("|---|--:|--:|--:|--:|")
for k, label in [("get_by_another_agent", "GET 2 KB by another agent (logged)"),
                 ("put_by_another_agent_16_concurrent", "PUT 2 KB by another agent, 16 concurrent (logged)"),
                 ("get_by_owner", "GET 2 KB by the owner (not logged: encryption only)")]:
    r = c[k]
    print(f"| {label} | {r['off_per_second']:,.0f} | {r['on_per_second']:,.0f} | {r['cost_percent']:.0f} % | < 15 % |")
print("\n## Access log at scale\n")
print("```json")
print(json.dumps(t, indent=2))
print("```")
PY
cat bench/results/control.md
