#!/usr/bin/env bash
# The private aggregation benchmark (issue 15), one run: a participant's time
# to make a report (shard and seal), the two aggregators' throughput end to
# end (upload, aggregation jobs, collection over loopback HTTP with their
# SQLite files, in one process), each against the prio crate's own
# in-process round trip measured in the same run; Histogram(100) and
# SumVec(12). Writes bench/results/studies-<date>-<REPORTS>.json.
# Knobs: REPORTS (default 20000; 100000 for the city-sized study), SAMPLES.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p selfdata-bench
bin=${CARGO_TARGET_DIR:-target}/release/selfdata-bench
out=bench/results/studies-$(date -u +%Y-%m-%d)-${REPORTS:-20000}.json
"$bin" studies --reports "${REPORTS:-20000}" --samples "${SAMPLES:-2000}" > "$out"
cat "$out"
