#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the end-to-end
# tests need (the npm packages of tests/e2e and of the example app, Debian's
# chromium, nginx, a PostgreSQL server, a pg_auto_failover pair and a
# SeaweedFS object store on loopback), then runs every Rust test,
# including those that drive Node clients and the browser, and the Solid
# protocol, access-control, security and energy suites a second time on
# PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh --browser

echo "== npm packages for the end-to-end tests"
npm ci --prefix tests/e2e --no-audit --no-fund
npm ci --prefix examples/energy-app --no-audit --no-fund

echo "== PostgreSQL on loopback, for the PostgreSQL engine's tests"
SELFDATA_TEST_POSTGRES=$(bash scripts/postgres.sh start)
# The authority of its certificate (the test of encrypted connections).
SELFDATA_TEST_POSTGRES_CA="${PGTEST_DIR:-/tmp/selfdata-pg}.tls/ca.crt"
export SELFDATA_TEST_POSTGRES SELFDATA_TEST_POSTGRES_CA
trap 'bash scripts/seaweedfs.sh stop; bash scripts/pg-failover.sh stop; bash scripts/postgres.sh stop' EXIT
echo "== a PostgreSQL primary and its standby (pg_auto_failover), for the failover test"
SELFDATA_TEST_FAILOVER=$(bash scripts/pg-failover.sh start)
export SELFDATA_TEST_FAILOVER

echo "== an S3-compatible object store (SeaweedFS), for large bodies on PostgreSQL"
SELFDATA_TEST_S3=$(bash scripts/seaweedfs.sh start)
export SELFDATA_TEST_S3

echo "== cargo test --workspace"
cargo test --workspace --locked

echo "== the Solid protocol, access-control, security, energy and notifications suites again, on PostgreSQL"
SELFDATA_TEST_ENGINE=postgres cargo test -p selfdata --test app --locked -- protocol:: access:: security:: energy:: notifications::
