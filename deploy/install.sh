#!/usr/bin/env bash
# Installs motcua and the pinned nats-server on a Debian host as systemd services.
#
# Usage (as root, from a checkout): deploy/install.sh
# Builds motcua in release mode, installs the pinned nats-server (checksum verified) and both
# binaries into /opt/motcua/bin, the configs into /etc/motcua, creates the motcua user and
# /var/lib/motcua, and enables the services. Passwords are generated once into
# /etc/motcua/nats.env and /etc/motcua/motcua.env (mode 0600) and never printed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $(id -u) -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }
command -v cargo >/dev/null 2>&1 || { echo "install.sh: cargo not found: install the Rust toolchain" >&2; exit 1; }

nats_server="$("$root/tools/install-nats-server")"
cargo build --release --quiet -p motcua --manifest-path "$root/Cargo.toml"

id motcua >/dev/null 2>&1 || useradd --system --home-dir /var/lib/motcua --shell /usr/sbin/nologin motcua
install -d -m 0755 /opt/motcua/bin /etc/motcua /etc/motcua/nats
install -d -m 0750 -o motcua -g motcua /var/lib/motcua /var/lib/motcua/nats /var/lib/motcua/motcua
install -m 0755 "$nats_server" /opt/motcua/bin/nats-server
install -m 0755 "$root/target/release/motcua" /opt/motcua/bin/motcua
install -m 0644 "$root/deploy/nats/single.conf" "$root/deploy/nats/cluster.conf" "$root/deploy/nats/accounts.conf" /etc/motcua/nats/

secret() { head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40; }
if [[ ! -f /etc/motcua/nats.env ]]; then
    umask 077
    service_password="$(secret)"
    {
        echo "MOTCUA_NATS_PASSWORD=\"$service_password\""
        echo "MC_26740_PASSWORD=\"$(secret)\""
        echo "PROVINCE_79_PASSWORD=\"$(secret)\""
        echo "NATS_SYS_PASSWORD=\"$(secret)\""
    } > /etc/motcua/nats.env
    echo "NATS_URL=\"nats://motcua:${service_password}@127.0.0.1:14222\"" > /etc/motcua/motcua.env
    chmod 0600 /etc/motcua/nats.env /etc/motcua/motcua.env
fi

install -m 0644 "$root/deploy/systemd/motcua-nats.service" "$root/deploy/systemd/motcua.service" /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now motcua-nats.service motcua.service
echo "motcua installed: systemctl status motcua; logs: journalctl -u motcua"
