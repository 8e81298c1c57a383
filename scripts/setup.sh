#!/usr/bin/env bash
# Installs what muster's tests and demo need: npm packages, and — when root — the
# Debian packages of the real components they run (sshd, nginx, nagios4, promtool,
# nats-server, ansible-core), sudo for the --sudo tests, and the small tools the
# tests call that a minimal image may lack. Safe to run again: it installs only
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# command → Debian package providing it
declare -A wanted=(
  [/usr/sbin/sshd]=openssh-server
  [/usr/bin/ssh-keygen]=openssh-client
  [/usr/sbin/nginx]=nginx-light
  [/usr/sbin/nagios4]=nagios4-core
  [/usr/bin/promtool]=prometheus
  [/usr/sbin/nats-server]=nats-server
  [/usr/bin/ansible-inventory]=ansible-core
  [/usr/sbin/keepalived]=keepalived
  [/usr/bin/unshare]=util-linux
  [/usr/bin/curl]=curl
  [/usr/bin/sudo]=sudo
  [/usr/bin/openssl]=openssl
  [/usr/bin/patch]=patch
  [/usr/bin/pgrep]=procps
  [/usr/bin/nodeset]=clustershell
)
missing=()
for cmd in "${!wanted[@]}"; do [ -x "$cmd" ] || missing+=("${wanted[$cmd]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root, so cannot install: ${missing[*]} (tests that need them will say so and be skipped)" >&2
  else
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
