#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the end-to-end
# tests need (the npm packages of tests/e2e and of the example app, Debian's
# chromium), then runs
# every Rust test, including those that drive Node clients and the browser.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh --browser

echo "== npm packages for the end-to-end tests"
npm ci --prefix tests/e2e --no-audit --no-fund
npm ci --prefix examples/energy-app --no-audit --no-fund

echo "== cargo test --workspace"
cargo test --workspace --locked
