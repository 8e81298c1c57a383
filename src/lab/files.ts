/**
 * The text of every file a lab writes: the inventory, the client's ssh_config and
 * known_hosts, and inside each host its sshd_config, shell profile and /etc/hosts,
 * plus the boot script that builds a host's namespaces. Pure functions of the plan.
 */
import type { PlannedHost } from './plan.js';

/** What the renderers need to know about a lab. */
export interface LabFacts {
  name: string;
  prefix: string;
  hosts: PlannedHost[];
  /** Agents over NATS (`lab up --agents`): the brokers' URLs; the inventory gets an `agents` section. */
  agents?: LabAgents;
}

/** What a lab with agents records: where its brokers listen. */
export interface LabAgents {
  servers: string[];
}

/** The state folder of a lab's fleet CA and brokers, relative to its inventory (`agents.state`). */
export const labAgentsState = 'agents.state';

/** The operator of a lab with agents: `agents.operators` gives it every module. */
export const labOperator = 'admin';

/** One inventory entry: a run of consecutive hosts sharing roles, vars and a /24. */
interface Run {
  hosts: PlannedHost[];
}

function runsOf(hosts: PlannedHost[]): Run[] {
  const runs: Run[] = [];
  let current: PlannedHost[] = [];
  const key = (host: PlannedHost): string => `${host.roles.join(',')}|${host.vars.dc}|${host.address.split('.').slice(0, 3).join('.')}`;
  for (const host of hosts) {
    const last = current.at(-1);
    if (last && key(last) !== key(host)) {
      runs.push({ hosts: current });
      current = [];
    }
    current.push(host);
  }
  if (current.length > 0) runs.push({ hosts: current });
  return runs;
}

/** `lab[01-05]` for a run of names sharing the prefix (or the name alone for one host). */
function namePattern(prefix: string, hosts: PlannedHost[]): string {
  const first = hosts[0];
  const last = hosts.at(-1);
  if (!first || !last || first === last) return first?.name ?? '';
  return `${prefix}[${first.name.slice(prefix.length)}-${last.name.slice(prefix.length)}]`;
}

/** `127.77.0.[1-5]` for a run of addresses in one /24 (or the address alone for one host). */
function addressPattern(hosts: PlannedHost[]): string {
  const first = hosts[0];
  const last = hosts.at(-1);
  if (!first || !last || first === last) return first?.address ?? '';
  const head = first.address.split('.').slice(0, 3).join('.');
  return `${head}.[${first.address.split('.')[3]}-${last.address.split('.')[3]}]`;
}

/** The lab's `muster.yaml`: hosts as nodeset patterns with addresses in step. */
export function inventoryText(lab: LabFacts): string {
  const roles = [...new Set(lab.hosts.flatMap((host) => host.roles))];
  const lines = [
    `# Lab "${lab.name}", made by \`muster lab up\`: ${lab.hosts.length} hosts, each a real sshd`,
    `# on its own loopback address. Throwaway: \`muster lab down --name ${lab.name}\` removes it.`,
    'version: 1',
    'defaults:',
    '  user: root',
    'ssh_config: ssh_config',
  ];
  if (roles.length > 0) {
    lines.push('roles:');
    for (const role of roles) lines.push(`  ${role}: {}`);
  }
  lines.push('hosts:');
  for (const run of runsOf(lab.hosts)) {
    const [first] = run.hosts;
    if (!first) continue;
    lines.push(`  ${namePattern(lab.prefix, run.hosts)}:`);
    lines.push(`    address: ${addressPattern(run.hosts)}`);
    if (first.roles.length > 0) lines.push(`    roles: [${first.roles.join(', ')}]`);
    lines.push(`    vars: { dc: ${first.vars.dc} }`);
  }
  if (lab.agents) {
    // Every host's CSR is signed at once and the lab's operator may call every module: a throwaway fleet.
    lines.push(
      'agents:',
      `  servers: [${lab.agents.servers.join(', ')}]`,
      `  state: ${labAgentsState}`,
      '  autosign: all',
      `  operators: { ${labOperator}: [ops] }`,
      "  permissions: { ops: ['*'] }",
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The client ssh_config, for muster and for OpenSSH (`ssh -F`), clush, pdsh, pssh
 * and ansible alike: every host name maps to its address, and every connection
 * uses the lab's key and known_hosts, strictly.
 */
export function sshConfigText(lab: LabFacts, paths: { identity: string; knownHosts: string }): string {
  const lines = [`# ssh_config of muster lab "${lab.name}": use with \`ssh -F THIS_FILE HOST\`.`];
  for (const host of lab.hosts) lines.push(`Host ${host.name}`, `  HostName ${host.address}`);
  lines.push(
    'Host *',
    '  User root',
    `  IdentityFile ${paths.identity}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${paths.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  UpdateHostKeys no',
    '  BatchMode yes',
    '  LogLevel ERROR',
    '',
  );
  return lines.join('\n');
}

/** known_hosts: each host's key under its name and its address. */
export function knownHostsText(entries: { name: string; address: string; publicBlob: string }[]): string {
  return entries.map((entry) => `${entry.name},${entry.address} ssh-ed25519 ${entry.publicBlob}\n`).join('');
}

/**
 * A host's /etc/ssh/sshd_config. Root by key only; no PAM, no DNS (both cost time
 * per login and mean nothing here); room for many parallel connections; quiet.
 * Hosts share the machine's network namespace, so sshd must listen on the host's
 * own address only.
 */
export function sshdConfigText(address: string): string {
  return [
    '# sshd_config of a muster lab host',
    `ListenAddress ${address}:22`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'MaxStartups 1000',
    'MaxSessions 1000',
    'LoginGraceTime 30',
    'LogLevel ERROR',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'AcceptEnv LANG LC_*',
    'PidFile none',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** A lab host's /root/.bashrc: plain, as on a fresh server (the machine's own may start pyenv). */
export const bashrcText = [
  '# ~/.bashrc of a muster lab host: plain, as on a fresh server.',
  'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  '[ -z "$PS1" ] && return',
  "PS1='\\u@\\h:\\w\\$ '",
  '',
].join('\n');

/** A lab host's /root/.profile. */
export const profileText = [
  '# ~/.profile of a muster lab host.',
  'if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi',
  '',
].join('\n');

/** A host's /etc/hosts: every host of its lab resolves by name inside every host. */
export function etcHostsText(lab: LabFacts): string {
  return ['127.0.0.1 localhost', '::1 localhost', ...lab.hosts.map((host) => `${host.address} ${host.name}`), ''].join('\n');
}

/**
 * The boot script, run by `unshare --mount --uts --pid --fork` as the first process
 * of a new PID namespace: it stacks an overlay on `/` (writes go to the host's own
 * upper dir), mounts a fresh /proc, private /tmp and /run, sets the hostname,
 * pivots into the overlay so nothing of the machine's mount table is left, and
 * becomes sshd. sshd is PID 1 of the host: killing it ends every process of the host.
 * Arguments: HOSTNAME HOSTDIR (HOSTDIR holds upper/, work/, root/).
 */
export const bootScriptText = [
  '#!/bin/sh',
  '# Boots one muster lab host. Run by unshare; see src/lab/files.ts.',
  'set -eu',
  'name=$1; dir=$2',
  'mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"',
  'cd "$dir/root"',
  'mount -t proc proc proc',
  'mount --rbind /dev dev',
  'mount --rbind /sys sys',
  'mount -t tmpfs -o mode=1777 tmpfs tmp',
  'mount -t tmpfs -o mode=755 tmpfs run',
  'mkdir -p run/sshd',
  'hostname "$name"',
  'pivot_root . .',
  'umount -l .',
  'cd /',
  'exec /usr/sbin/sshd -D -e',
  '',
].join('\n');
