#!/usr/bin/env bash
# Installs what muster's tests and demo need: npm packages, and — when root — the
# Debian packages of the real components they run (sshd, nginx, nagios4, promtool,
# nats-server, ansible-core, chromium, dnsmasq, qemu and the netboot files), sudo for the --sudo tests, and the small tools the
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
  # the completion scripts, checked by their shells
  [/usr/bin/zsh]=zsh
  [/usr/bin/fish]=fish
  [/usr/bin/groff]=groff-base
  # the web view's browser tests (issue 16)
  [/usr/bin/chromium]=chromium
  # network-boot provisioning (issue 14): DHCP/TFTP, boot loaders, the installer, validators, the VM
  [/usr/sbin/dnsmasq]=dnsmasq-base
  [/usr/lib/PXELINUX/pxelinux.0]=pxelinux
  [/usr/lib/syslinux/modules/bios/ldlinux.c32]=syslinux-common
  [/usr/bin/grub-mknetdir]=grub-common
  [/usr/lib/grub/x86_64-efi/kernel.img]=grub-efi-amd64-bin
  [/usr/lib/ipxe/undionly.kpxe]=ipxe
  [/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux]=debian-installer-12-netboot-amd64
  [/usr/bin/cloud-init]=cloud-init
  [/usr/bin/qemu-system-x86_64]=qemu-system-x86
  [/usr/lib/ipxe/qemu/pxe-virtio.rom]=ipxe-qemu
  [/usr/sbin/bridge]=iproute2
)
missing=()
for cmd in "${!wanted[@]}"; do [ -e "$cmd" ] || missing+=("${wanted[$cmd]}"); done
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

# Debian 12's own Node.js 18 and what it needs beyond this machine's libraries, as .debs for
# src/agent/debianNode.test.ts, which installs them in a lab host (its overlay, never here) to
# prove the agent package runs on the nodejs its `Depends:` names. Downloaded once; the test
# says it is skipped while they are missing. On the root filesystem: lab hosts see it there.
node18_debs=/var/cache/muster/debs/node18
node18_extras=(libc-ares2 node-acorn node-cjs-module-lexer node-undici node-busboy node-xtend)
node18_missing=()
for pkg in nodejs libnode108 "${node18_extras[@]}"; do
  compgen -G "$node18_debs/${pkg}_*.deb" >/dev/null || node18_missing+=("$pkg")
done
if [ ${#node18_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: not root, so cannot fetch Debian's Node.js 18 debs into $node18_debs (the Node 18 agent test will be skipped)" >&2
  else
    # This machine's nodejs may be newer (nodesource): ask for Debian's newest 18.x by version,
    # and libnode108 of exactly that version (nodejs depends on it with `=`).
    version=$(apt-cache madison nodejs 2>/dev/null | awk '$3 ~ /^18\./ { print $3; exit }')
    if [ -z "$version" ]; then apt-get update -qq 2>/dev/null || true; version=$(apt-cache madison nodejs 2>/dev/null | awk '$3 ~ /^18\./ { print $3; exit }'); fi
    mkdir -p "$node18_debs"
    rm -f "$node18_debs"/*.deb
    # In a temporary folder first, so an interrupted or offline download leaves no half set.
    fetched=$(mktemp -d)
    if [ -n "$version" ] && (cd "$fetched" && apt-get download -qq "nodejs=$version" "libnode108=$version" "${node18_extras[@]}" >/dev/null 2>&1); then
      mv "$fetched"/*.deb "$node18_debs"/
      echo "setup: fetched Debian's Node.js $version debs into $node18_debs" >&2
    else
      echo "setup: cannot download Debian's Node.js 18 debs (offline, or no Debian 12 sources?); the Node 18 agent test will be skipped" >&2
    fi
    rm -rf "$fetched"
  fi
fi
