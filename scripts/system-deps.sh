#!/usr/bin/env bash
# Debian packages selfdata needs, installed only when missing:
# - libssl-dev (+ pkg-config): SQLCipher, which encrypts every pod, is compiled
#   from source against the system's libcrypto;
# - with --browser, chromium: the browser tests; nginx: the load balancer
#   in front of two servers (tests/app/scale.rs); and systemd's
#   systemd-analyze, which checks the service unit (packaging/systemd/).
set -euo pipefail

install() {
    echo "== installing Debian's $*"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -f /usr/include/openssl/evp.h ]; then
    install libssl-dev pkg-config
fi
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
    install chromium
fi
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/sbin/nginx ]; then
    install nginx
fi
if [ "${1:-}" = "--browser" ] && ! command -v systemd-analyze >/dev/null 2>&1; then
    install systemd
fi
