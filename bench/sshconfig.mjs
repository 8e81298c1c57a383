#!/usr/bin/env node
// How much resolving ssh_config costs per operation, muster's own resolver against
// delegating to the system's `ssh -G` (one process per host, FORKS at a time), and what a
// warm cache of ssh -G answers would still cost (hash every config file, read a JSON file
// of answers, look each host up). The config is fleet-shaped: a Host block per host (as
// `muster gen ssh-config` or the lab writes), Match blocks and an Include.
//   npm run build && /usr/bin/time -f '%e s wall, %U+%S s CPU' node bench/sshconfig.mjs [HOSTS=10000] [FORKS=2] [all|muster|ssh-G]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { SshConfigResolver } from '../dist/transport/ssh/config/sshConfig.js';

const run = promisify(execFile);
const count = Number(process.argv[2] ?? 10_000);
const forks = Number(process.argv[3] ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'muster-bench-sshconfig-'));
const names = Array.from({ length: count }, (_, i) => `n${String(i + 1).padStart(5, '0')}`);
mkdirSync(join(dir, '.ssh'));
writeFileSync(join(dir, '.ssh', 'common.conf'), 'Host *\n  ServerAliveInterval 30\n  IdentityFile ~/.ssh/fleet_%r\n');
const lines = ['Include common.conf', 'Match host 10.1.*', '  User ops', 'Match originalhost n0000*', '  Port 2222'];
names.forEach((name, i) => lines.push(`Host ${name}`, `  HostName 10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
lines.push('Match final host 10.1.0.*', '  ConnectTimeout 5', 'Host *', '  StrictHostKeyChecking accept-new', '  UserKnownHostsFile ~/.ssh/fleet_known_hosts', '');
const config = join(dir, 'ssh_config');
writeFileSync(config, lines.join('\n'));

const seconds = (start) => Number(((performance.now() - start) / 1000).toFixed(3));

/** Wall seconds, and this process's CPU seconds (user+sys), of resolving every host once. */
function ours(hosts) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const resolver = new SshConfigResolver({ userConfig: null, includeHome: dir });
  for (const name of hosts) resolver.resolve({ name, address: name, sshConfig: config });
  const used = process.cpuUsage(cpu);
  return { wall_s: seconds(start), cpu_s: Number(((used.user + used.system) / 1e6).toFixed(3)) };
}

async function sshG(hosts) {
  const start = performance.now();
  const answers = {};
  let next = 0;
  await Promise.all(Array.from({ length: forks }, async () => {
    while (next < hosts.length) {
      const name = hosts[next++];
      answers[name] = (await run('ssh', ['-G', '-F', config, name], { env: { ...process.env, HOME: dir } })).stdout;
    }
  }));
  return { seconds: seconds(start), answers };
}

/** The warm path of a cache keyed by (config contents, host, user, port): hash the files, read the answers, look up. */
function warmCache(hosts, cacheFile) {
  const start = performance.now();
  const key = createHash('sha256').update(readFileSync(config)).update(readFileSync(join(dir, '.ssh', 'common.conf'))).digest('hex');
  const cache = JSON.parse(readFileSync(cacheFile, 'utf8'));
  let found = 0;
  for (const name of hosts) if (cache[`${key}\0${name}\0\0`] !== undefined) found++;
  if (found !== hosts.length) throw new Error('cache miss');
  return seconds(start);
}

// One mode per run, so /usr/bin/time can count the CPU of ssh's processes too.
const mode = process.argv[4] ?? 'all';
const one = names.slice(0, 1);
const result = { hosts: count, config_lines: lines.length, forks, mode };
if (mode === 'all' || mode === 'muster') {
  result.muster_1_host = ours(one);
  result.muster_all_hosts = ours(names);
}
if (mode === 'all' || mode === 'ssh-G') {
  result.ssh_G_1_host_s = (await sshG(one)).seconds;
  const all = await sshG(names);
  result.ssh_G_all_hosts_cold_s = all.seconds;
  const key = createHash('sha256').update(readFileSync(config)).update(readFileSync(join(dir, '.ssh', 'common.conf'))).digest('hex');
  const cacheFile = join(dir, 'cache.json');
  writeFileSync(cacheFile, JSON.stringify(Object.fromEntries(Object.entries(all.answers).map(([name, text]) => [`${key}\0${name}\0\0`, text]))));
  result.ssh_G_all_hosts_warm_cache_s = warmCache(names, cacheFile);
}
console.log(JSON.stringify(result));
rmSync(dir, { recursive: true, force: true });
