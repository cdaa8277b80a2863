#!/usr/bin/env bash
# The demo on a fresh machine: installs the one system library the build
# needs if it is missing, then builds and runs `selfdata demo` (a demo pod
# with three years of a household's energy, money and trips, served on
# http://127.0.0.1:8000). Extra arguments go to `selfdata demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
exec cargo run --release --locked -- demo "$@"
