#!/usr/bin/env bash
# Benchmark (issue 6): `muster gen nagios` on a generated 10,000-host inventory
# with a monitoring model (checks for all hosts, per role, per-host overrides and
# exclusions). Goal: under 2 s for the whole process.
#   bash bench/gen-nagios.sh              # 10,000 hosts, hyperfine (3 runs) or one timed run
#   bash bench/gen-nagios.sh 1000         # smaller
#   VERIFY=1 bash bench/gen-nagios.sh     # also run nagios4 -v on the output
# Needs a build (npm run build). Writes under bench/results/gen-nagios-N/.
set -euo pipefail
cd "$(dirname "$0")/.."
hosts="${1:-10000}"
out="bench/results/gen-nagios-${hosts}"
mkdir -p "$out"

node - "$hosts" "$out/muster.yaml" <<'JS'
const [total, file] = [Number(process.argv[2]), process.argv[3]];
const roles = 20;
const perRole = Math.floor(total / roles);
const lines = ['version: 1', 'defaults:', '  user: root', '  vars: { nagios_plugins: /usr/lib/nagios/plugins, disk_warn: 20 }',
  'states: [ok, warn, stop]', 'skip_states: [stop]', 'roles:'];
for (let r = 0; r < roles; r++) lines.push(`  role${r}: { description: "role ${r}", vars: { http_port: ${8000 + r}, dc: dc${r % 4} } }`);
lines.push('checks:',
  '  ping: { command: "check_ping -H {{ address }} -w 100,20% -c 500,60%", description: PING }',
  '  disk: { command: "check_disk -w {{ disk_warn }}% -c 10% -p /" }',
  '  http: { on: "role0,role1,role2,role3,role4", command: "check_http -H {{ address }} -p {{ http_port }}" }',
  '  ssh: { on: "dc=dc1", command: "check_ssh -H {{ address }}" }',
  'hosts:');
let made = 0;
for (let r = 0; r < roles; r++) {
  // Most hosts come from one pattern per role; the last 5 of each role are explicit, with overrides.
  const plain = perRole - 5;
  const pad = (n) => String(n).padStart(5, '0');
  const base = r * perRole;
  const a = (i) => `127.${Math.floor((base + i) / 65536) + 10}.${Math.floor((base + i) / 256) % 256}.${(base + i) % 256}`;
  // Pattern hosts have no address (the name is the address), as many real inventories do.
  lines.push(`  r${r}n[${pad(1)}-${pad(plain)}].example.lan: { roles: [role${r}] }`);
  made += plain;
  for (let i = plain + 1; i <= perRole; i++) {
    const overrides = i % 3 === 0 ? '{ ping: false }' : i % 3 === 1 ? '{ disk: "check_disk -w 5% -c 2% -p /var" }' : '{ raid: "check_raid" }';
    lines.push(`  r${r}n${pad(i)}.example.lan: { roles: [role${r}], address: ${a(i)}, state: ${i === perRole ? 'stop' : 'ok'}, vars: { checks: ${overrides} } }`);
    made++;
  }
}
require('node:fs').writeFileSync(file, lines.join('\n') + '\n');
console.error(`wrote ${file}: ${made} hosts, ${roles} roles, 4 checks`);
JS

cmd="node bin/muster.js gen nagios -i $out/muster.yaml -o $out/nagios -q"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs "${RUNS:-3}" --export-markdown "$out/result.md" "$cmd"
else
  time $cmd
fi
$cmd
echo "services: $(grep -c 'define service' "$out/nagios/services.cfg"), hosts: $(grep -c 'define host ' "$out/nagios/hosts.cfg")"

if [ "${VERIFY:-0}" = 1 ] && command -v nagios4 >/dev/null; then
  dir="$(mktemp -d)"; chmod 755 "$dir" "$out/nagios"; mkdir -p "$dir/spool"; chmod 777 "$dir/spool"
  printf 'define command {\n    command_name check-host-alive\n    command_line /bin/true\n}\n' > "$dir/base.cfg"
  cat > "$dir/nagios.cfg" <<CFG
cfg_file=/etc/nagios4/objects/commands.cfg
cfg_file=/etc/nagios4/objects/contacts.cfg
cfg_file=/etc/nagios4/objects/timeperiods.cfg
cfg_file=/etc/nagios4/objects/templates.cfg
cfg_file=$dir/base.cfg
cfg_dir=$PWD/$out/nagios
check_result_path=$dir/spool
lock_file=$dir/nagios.lock
temp_file=$dir/nagios.tmp
status_file=$dir/status.dat
log_file=$dir/nagios.log
illegal_macro_output_chars=\`~\$&|'"<>
CFG
  nagios4 -v "$dir/nagios.cfg" | grep -E 'Checked [0-9]+ (hosts|services)\.|Total (Warnings|Errors)'
  rm -rf "$dir"
fi
