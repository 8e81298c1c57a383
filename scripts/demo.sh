#!/usr/bin/env bash
# `npm run demo`: the README's first command. Brings up a throwaway lab of 20
# real sshd hosts on this machine and walks through muster: the inventory, a
# parallel command with gathered output, drift, failures, rolling batches with a
# failure threshold, JSON Lines, DIFFALL, and a deploy that rolls back where its
# test fails. Leaves the lab up and says how to remove it.
set -euo pipefail
cd "$(dirname "$0")/.."

LAB=demo
HOSTS=${DEMO_HOSTS:-20}

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
step() { printf '\n'; bold "== $*"; }
muster() { node bin/muster.js "$@"; }
# Shows a command, runs it, and shows its exit code (muster's codes: 0 ok, 1 some
# host failed, 2 usage, 3 aborted by --max-fail, 130 interrupted).
show() {
  local line='$ muster' arg
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:=,%@+-]+$ ]]; then line+=" $arg"; else line+=" '${arg//\'/\'\\\'\'}'"; fi
  done
  printf '%s\n' "$line"
  local code=0
  muster "$@" || code=$?
  printf '(exit %s)\n' "$code"
}

if [ "$(id -u)" -ne 0 ]; then
  cat >&2 <<'MSG'
demo: the demo brings up a lab of real OpenSSH servers, each in its own Linux
namespaces (mount, UTS, PID) with its own loopback address. That needs root.
Run it as root:   sudo npm run demo
(it also needs the openssh-server package, which it installs when missing).
MSG
  exit 1
fi

step "Setup: npm packages and the system packages the lab needs"
bash scripts/setup.sh
step "Build"
npx tsc -p tsconfig.json
echo "built dist/"

step "A lab of $HOSTS real sshd hosts (muster lab up)"
show lab up "$HOSTS" --name "$LAB" --roles "web:$((HOSTS * 3 / 5)),db:$((HOSTS - HOSTS * 3 / 5))"
INVENTORY=$(node -e "import('./dist/lab/index.js').then((m) => console.log(m.labInventoryPath(process.argv[1])))" "$LAB")
export MUSTER_INVENTORY=$INVENTORY
# The demo's history journal stays with the lab, not in your home.
export MUSTER_STATE_DIR=${MUSTER_STATE_DIR:-$(dirname "$INVENTORY")/state}
echo "MUSTER_INVENTORY=$MUSTER_INVENTORY"

step "The inventory: every host, its address, roles and state"
show ls

step "Run a command everywhere: identical results are gathered into one block"
show run all -- uname -sr

step "Drift: deploy a version file, with an older one left on two hosts"
muster run all -q -- 'echo app v2.4.1 > /etc/app-version' >/dev/null 2>&1
muster run 'lab[05,13]' -q -- 'echo app v2.3.9 > /etc/app-version' >/dev/null 2>&1
show run all -- cat /etc/app-version

step "Failures: one host down (its sshd stopped), a check that fails on the drifted hosts"
show lab stop lab07 --name "$LAB"
show run all -- 'grep -q v2.4.1 /etc/app-version && echo current'

step "Rolling batches with a failure threshold: canary, then wider; stop once failures exceed 1"
show run all --batch 1,25% --max-fail 1 -- 'grep -q v2.4.1 /etc/app-version && echo current'

step "Only one role, with a per-host timeout"
show run db --timeout 2s -- 'if [ "$(hostname)" = lab13 ]; then sleep 30; fi; echo ok'

step "Machine-readable: JSON Lines, one record per host, then a summary"
show run 'lab[01-03]' --json -- hostname

show lab start lab07 --name "$LAB"

step "DIFFALL: is a file the same everywhere? Hosts grouped by content, diffed against the largest group"
show diff all /etc/app-version

step "A safe deploy: push a config, test it on each host, reload only where it passes, roll back elsewhere"
CONF=$(dirname "$INVENTORY")/app.conf
printf 'listen = 8080\nworkers = 4\n' > "$CONF"
show push all "$CONF" /etc/app.conf --mode 0644 --test 'grep -q v2.4.1 /etc/app-version' --then 'echo reloaded'
show diff all /etc/app.conf

step "Agents over NATS: a second lab whose hosts each run a real muster agent"
echo "(muster lab up --agents: a fleet CA, a 3-node nats-server cluster, and muster agent install over SSH:"
echo " each host makes its own key and CSR, auto-signed here, the agent started inside the host)"
show lab up 6 --name "$LAB-agents" --agents --brokers 3
AGENTS_INVENTORY=$(node -e "import('./dist/lab/index.js').then((m) => console.log(m.labInventoryPath(process.argv[1])))" "$LAB-agents")

step "The same command over agents: one TLS connection to the brokers instead of one SSH session per host"
show run all -i "$AGENTS_INVENTORY" --transport nats -- uname -sr
show call all -i "$AGENTS_INVENTORY" ping.get

step "Revocation: the broker refuses a revoked agent within seconds"
show ca revoke lab06 -i "$AGENTS_INVENTORY"
show call all -i "$AGENTS_INVENTORY" ping.get

step "Done. The lab is still up; try it yourself:"
cat <<MSG
  export MUSTER_INVENTORY=$MUSTER_INVENTORY
  node bin/muster.js run web -- 'uptime'
  node bin/muster.js run all --stream -- 'for i in 1 2 3; do echo \$i; sleep 1; done'
  node bin/muster.js run all -i $AGENTS_INVENTORY --transport nats -- hostname
Take them down with:
  node bin/muster.js lab down --name $LAB
  node bin/muster.js lab down --name $LAB-agents
MSG
