#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the end-to-end
# tests need (the npm packages of tests/e2e, Debian's chromium), then runs
# every Rust test, including those that drive Node clients and the browser.
set -euo pipefail
cd "$(dirname "$0")/.."

# SQLCipher (encryption at rest) is compiled from source against the system's
# libcrypto: it needs OpenSSL's headers and libcrypto.so (Debian: libssl-dev).
if [ ! -f /usr/include/openssl/evp.h ]; then
    echo "== installing Debian's libssl-dev for SQLCipher"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >/dev/null
    else
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >/dev/null
    fi
fi

if ! command -v chromium >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
fi

echo "== npm packages for the end-to-end tests"
npm ci --prefix tests/e2e --no-audit --no-fund

echo "== cargo test --workspace"
cargo test --workspace --locked
