#!/usr/bin/env bash
# Installs selfdata as a systemd service on this machine (Debian or any
# systemd distribution), as root:
#
#   cargo build --release && sudo bash scripts/install-service.sh
#
# It installs the binary in /usr/local/bin, creates the `selfdata` system
# user, writes /etc/selfdata/selfdata.toml the first time (never over an
# existing one), installs packaging/systemd/selfdata.service (hardened: the
# data folder /var/lib/selfdata is the only writable path) and checks it.
# Then edit the configuration and start the service, as it says at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-target/release/selfdata}
if [ ! -x "$binary" ]; then
    echo "No binary at $binary: build it first (cargo build --release) or give its path." >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Run it as root (sudo bash scripts/install-service.sh)." >&2
    exit 1
fi

install -m 0755 "$binary" /usr/local/bin/selfdata
if ! id selfdata >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/selfdata --no-create-home \
        --shell /usr/sbin/nologin selfdata
fi
install -d -m 0700 -o selfdata -g selfdata /var/lib/selfdata
install -d -m 0750 -o root -g selfdata /etc/selfdata
if [ ! -e /etc/selfdata/selfdata.toml ]; then
    install -m 0640 -o root -g selfdata packaging/selfdata.toml /etc/selfdata/selfdata.toml
fi
install -m 0644 packaging/systemd/selfdata.service /etc/systemd/system/selfdata.service
systemd-analyze verify /etc/systemd/system/selfdata.service
systemctl daemon-reload

cat <<'SAID'
selfdata is installed. Next:
  1. set base-url (and what else you need) in /etc/selfdata/selfdata.toml;
  2. check it:  sudo -u selfdata SELFDATA_CONFIG=/etc/selfdata/selfdata.toml selfdata config check
  3. start it:  systemctl enable --now selfdata
  4. follow it: journalctl -u selfdata -f
SAID
