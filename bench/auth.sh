#!/usr/bin/env bash
# Benchmark (not a test): what signing in costs. In one run, on this machine:
# GET of a 2 KB public Turtle resource without credentials, against GET of a
# 2 KB private one with a DPoP-bound token and a fresh DPoP proof per
# request, at 1, 16 and 64 connections. Writes bench/results/auth.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-4}
LEVELS=${LEVELS:-"1 16 64"}
PORT=${PORT:-38411}
cargo build --release -q -p selfdata -p selfdata-bench
SELFDATA=target/release/selfdata
BENCH=target/release/selfdata-bench
WORK=$(mktemp -d target/auth-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
BASE=http://127.0.0.1:$PORT

"$SELFDATA" pod create bench --data "$WORK/data" --base-url "$BASE" >"$WORK/pod.txt"
ID=$(sed -n 's/^client_id=//p' "$WORK/pod.txt")
SECRET=$(sed -n 's/^client_secret=//p' "$WORK/pod.txt")
SELFDATA_LOG=warn "$SELFDATA" serve --addr "127.0.0.1:$PORT" --data "$WORK/data" --base-url "$BASE" >"$WORK/log" 2>&1 &
for _ in $(seq 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -u "$ID:$SECRET" -d grant_type=client_credentials "$BASE/idp/token" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
WEBID="$BASE/bench/profile/card#me"
"$BENCH" gen-turtle --bytes 2048 >"$WORK/doc.ttl"
for p in public/doc.ttl private/doc.ttl; do
    curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/turtle' \
        --data-binary @"$WORK/doc.ttl" "$BASE/bench/$p" >/dev/null
done
curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/turtle' --data-binary @- \
    "$BASE/bench/public/.acl" >/dev/null <<ACL
@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#owner> a acl:Authorization; acl:agent <$WEBID>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.
ACL
curl -sf "$BASE/bench/public/doc.ttl" >/dev/null || { echo "the public resource is not public" >&2; exit 1; }

RESULTS=()
for c in $LEVELS; do
    pub=$("$BENCH" load --url "$BASE/bench/public/doc.ttl" --connections "$c" --duration "$DURATION" \
        --tag scenario=public --tag connections="$c")
    auth=$("$BENCH" load --url "$BASE/bench/private/doc.ttl" --connections "$c" --duration "$DURATION" \
        --dpop-credentials "$ID:$SECRET" --token-url "$BASE/idp/token" --dpop-proofs 80000 \
        --tag scenario=dpop --tag connections="$c")
    echo "$pub"; echo "$auth"
    RESULTS+=("$pub" "$auth")
done
mkdir -p bench/results
printf '%s\n' "${RESULTS[@]}" >"$WORK/runs.jsonl"
python3 - "$(nproc)" "$WORK/runs.jsonl" <<'PY'
import json, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(int(r["connections"]), {})[r["scenario"]] = r
out = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "nproc": int(sys.argv[1]), "runs": rows, "levels": []}
md = ["# What signing in costs", "", f"{out['date']}, {out['nproc']} cores; closed loop, keep-alive, load generator on the same machine.", "",
      "| conns | public GET req/s | p50 ms | p99 ms | DPoP GET req/s | p50 ms | p99 ms | DPoP/public | cost |", "|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
for c in sorted(by):
    p, a = by[c]["public"], by[c]["dpop"]
    ratio = a["rps"] / p["rps"] if p["rps"] else 0
    out["levels"].append({"connections": c, "public_rps": p["rps"], "dpop_rps": a["rps"], "ratio": ratio, "dpop_errors": a["errors"]})
    md.append(f"| {c} | {p['rps']:.0f} | {p['p50_ms']:.2f} | {p['p99_ms']:.2f} | {a['rps']:.0f} | {a['p50_ms']:.2f} | {a['p99_ms']:.2f} | {ratio:.2f} | {100*(1-ratio):.0f}% |")
md += ["", "Reproduce: `bash bench/auth.sh` (DURATION, LEVELS to change the run)."]
json.dump(out, open("bench/results/auth.json", "w"), indent=2)
open("bench/results/auth.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
