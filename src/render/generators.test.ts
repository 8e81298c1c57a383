import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFileError } from '../core/errors.js';
import { fixtureInventory } from './fixture.test-helper.js';
import { generate, listGenerators, type GeneratedFile } from './generators.js';

const inventory = fixtureInventory();

function writeAll(files: GeneratedFile[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file.name), file.content);
}

function has(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

function content(files: GeneratedFile[], name: string): string {
  const file = files.find((candidate) => candidate.name === name);
  assert.ok(file, `no ${name} in ${files.map((f) => f.name).join(', ')}`);
  return file.content;
}

/** A nagios.cfg using Debian's stock templates, contacts and timeperiods, and `objects` as cfg_dir. */
function nagiosVerify(objects: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'muster-nagios-'));
  // nagios4 -v reads its files as the nagios user.
  chmodSync(dir, 0o755);
  chmodSync(objects, 0o755);
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  chmodSync(spool, 0o777);
  // Debian defines check-host-alive in the plugins package, which may be absent.
  writeFileSync(join(dir, 'base.cfg'), 'define command {\n    command_name check-host-alive\n    command_line /usr/lib/nagios/plugins/check_ping -H $HOSTADDRESS$ -w 5000,100% -c 5000,100% -p 1\n}\n');
  writeFileSync(join(dir, 'nagios.cfg'), [
    'cfg_file=/etc/nagios4/objects/commands.cfg',
    'cfg_file=/etc/nagios4/objects/contacts.cfg',
    'cfg_file=/etc/nagios4/objects/timeperiods.cfg',
    'cfg_file=/etc/nagios4/objects/templates.cfg',
    `cfg_file=${join(dir, 'base.cfg')}`,
    `cfg_dir=${objects}`,
    `check_result_path=${spool}`,
    `lock_file=${join(dir, 'nagios.lock')}`,
    `temp_file=${join(dir, 'nagios.tmp')}`,
    `status_file=${join(dir, 'status.dat')}`,
    `log_file=${join(dir, 'nagios.log')}`,
    'illegal_macro_output_chars=`~$&|\'"<>',
    '',
  ].join('\n'));
  const run = spawnSync('nagios4', ['-v', join(dir, 'nagios.cfg')], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

test('every generator is listed and renders from the test fleet', () => {
  assert.deepEqual(listGenerators().map((g) => g.name), ['nagios', 'prometheus', 'munin', 'hosts', 'ssh-config', 'keepalived', 'nginx-upstream']);
  for (const { name } of listGenerators()) assert.ok(generate(name, inventory, inventory.hosts).length > 0, name);
});

test('nagios: hosts, hostgroups per role and state, services from the model pass nagios4 -v', (t) => {
  if (!has('nagios4')) return t.skip('nagios4 is not installed (apt-get install nagios4-core)');
  const files = generate('nagios', inventory, inventory.hosts);
  assert.deepEqual(files.map((f) => f.name), ['hosts.cfg', 'services.cfg', 'commands.cfg']);
  const dir = mkdtempSync(join(tmpdir(), 'muster-gen-nagios-'));
  writeAll(files, dir);
  const result = nagiosVerify(dir);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /Total Errors:\s+0/);
  assert.match(result.output, /Total Warnings:\s+0/);
  // ping on all but web002 (excluded), http on the three web hosts, pgsql on db1.
  assert.match(result.output, /Checked 7 services\./);
  assert.match(result.output, /Checked 4 hosts\./);
  assert.match(result.output, /Checked 4 host groups\./);
  const services = content(files, 'services.cfg');
  assert.doesNotMatch(services, /host_name\s+web002\.example\.lan\s+service_description\s+PING/);
  assert.match(services, /host_name\s+web003\.example\.lan\n\s+service_description\s+http\n\s+check_command\s+muster_http!\/usr\/lib\/nagios\/plugins\/check_http -H 127\.0\.0\.13 -p 80 -u \/health/);
  assert.match(services, /host_name\s+web002\.example\.lan\n\s+service_description\s+http\n\s+check_command\s+muster_http!\/usr\/lib\/nagios\/plugins\/check_http -H 127\.0\.0\.12 -p 8080\n/);
  // db1 is in a skip state: defined, with active checks and notifications off.
  assert.match(content(files, 'hosts.cfg'), /host_name\s+db1\.example\.lan\n(?:.*\n)*?\s+active_checks_enabled\s+0\n\s+notifications_enabled\s+0\n}/);
  assert.match(content(files, 'hosts.cfg'), /hostgroup_name\s+state-stop/);

  // The validator is really looking: a service on an undefined host fails it.
  writeFileSync(join(dir, 'broken.cfg'), 'define service {\n    use generic-service\n    host_name nowhere\n    service_description x\n    check_command muster_ping!/bin/true\n}\n');
  const broken = nagiosVerify(dir);
  assert.notEqual(broken.status, 0);
  assert.match(broken.output, /nowhere/);
});

test('nagios: `!`, `;` and `$` in a check command are escaped so nagios4 -v accepts them', (t) => {
  if (!has('nagios4')) return t.skip('nagios4 is not installed');
  const odd = fixtureInventory((text) => text.replace('checks:\n', 'checks:\n  odd:\n    on: web001.example.lan\n    command: "/bin/sh -c \'test ! -e /x; echo $HOME\'"\n'));
  const files = generate('nagios', odd, odd.hosts);
  assert.match(content(files, 'services.cfg'), /check_command\s+muster_odd!\/bin\/sh -c 'test \\! -e \/x\\; echo \$\$HOME'/);
  const dir = mkdtempSync(join(tmpdir(), 'muster-gen-nagios-'));
  writeAll(files, dir);
  const result = nagiosVerify(dir);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /Checked 8 services\./);
});

test('nagios: a per-host exclusion of an unknown check, and a command using an undefined var, fail with their location', () => {
  const typo = fixtureInventory((text) => text.replace('checks: { ping: false }', 'checks: { pnig: false }'));
  assert.throws(() => generate('nagios', typo, typo.hosts), (error: unknown) => {
    assert.ok(error instanceof InvalidFileError);
    assert.match(error.message, /fleet\.yaml:\d+:\d+: host "web002\.example\.lan": checks\.pnig: no check named "pnig"/);
    return true;
  });
  const undefinedVar = fixtureInventory((text) => text.replace('-P {{ pg_port }}', '-P {{ pg_prot }}'));
  assert.throws(() => generate('nagios', undefinedVar, undefinedVar.hosts), /fleet\.yaml:27:3: check "pgsql" for db1\.example\.lan: command column 36: undefined variable: pg_prot/);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

test('prometheus: file_sd JSON passes promtool and a real Prometheus discovers the targets with their labels', async (t) => {
  if (!has('promtool') || !has('prometheus')) return t.skip('prometheus/promtool are not installed');
  const files = generate('prometheus', inventory, inventory.hosts);
  const dir = mkdtempSync(join(tmpdir(), 'muster-gen-prom-'));
  writeAll(files, dir);
  const groups = JSON.parse(content(files, 'targets.json')) as { targets: string[]; labels: Record<string, string> }[];
  // db1 is in a skip state: not scraped.
  assert.deepEqual(groups.map((g) => g.targets), [['127.0.0.11:9100'], ['127.0.0.12:9100'], ['127.0.0.13:9100']]);
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1h\nscrape_configs:\n  - job_name: node\n    file_sd_configs:\n      - files: ['${join(dir, 'targets.json')}']\n`);
  const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);

  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const server = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--web.listen-address=${listen}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready to receive web requests')) resolve();
      });
      server.on('exit', (code) => reject(new Error(`prometheus exited with ${code}:\n${log}`)));
    });
    // File discovery reports on its own schedule (up to ~5 s after start): poll the API until it has.
    const deadline = Date.now() + 30_000;
    let active: { labels: Record<string, string>; discoveredLabels: Record<string, string> }[] = [];
    while (Date.now() < deadline) {
      const response = await fetch(`http://${listen}/api/v1/targets`);
      const body = (await response.json()) as { data: { activeTargets: typeof active } };
      active = body.data.activeTargets;
      if (active.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seen = active.map((target) => target.discoveredLabels['__address__']).sort();
    assert.deepEqual(seen, ['127.0.0.11:9100', '127.0.0.12:9100', '127.0.0.13:9100']);
    const web3 = active.find((target) => target.labels['host'] === 'web003.example.lan');
    assert.deepEqual(
      { role: web3?.labels['role'], roles: web3?.labels['roles'], state: web3?.labels['state'], dc: web3?.labels['dc'], job: web3?.labels['job'] },
      { role: 'web', roles: ',web,', state: 'ok', dc: 'os1', job: 'node' },
    );
  } finally {
    server.kill('SIGTERM');
    if (server.exitCode === null) await new Promise((resolve) => server.once('exit', resolve));
  }
});

test('prometheus: labels are the scalar vars minus generator settings, or exactly prometheus_labels', () => {
  const [first] = JSON.parse(content(generate('prometheus', inventory, inventory.hosts), 'targets.json')) as { labels: Record<string, string> }[];
  assert.deepEqual(first?.labels, { http_port: '80', vip: '127.0.0.100', dc: 'tk1', rank: '2', name: 'shadow', host: 'web001.example.lan', role: 'web', roles: ',web,', state: 'ok' });
  const picked = fixtureInventory((text) => text.replace('nagios_plugins: /usr/lib/nagios/plugins', 'nagios_plugins: /usr/lib/nagios/plugins\n    prometheus_labels: [dc, rank]\n    prometheus_port: 9273'));
  const groups = JSON.parse(content(generate('prometheus', picked, picked.hosts), 'targets.json')) as { targets: string[]; labels: Record<string, string> }[];
  assert.deepEqual(groups[0], { targets: ['127.0.0.11:9273'], labels: { dc: 'tk1', rank: '2', host: 'web001.example.lan', role: 'web', roles: ',web,', state: 'ok' } });
});

test('munin: one [role;host] entry per live host with its address', () => {
  const text = content(generate('munin', inventory, inventory.hosts), 'munin.conf');
  const entries = [...text.matchAll(/^\[([^\]]+)\]\n {4}address (\S+)\n {4}use_node_name yes$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(entries, ['web;web001.example.lan 127.0.0.11', 'web;web002.example.lan 127.0.0.12', 'web;web003.example.lan 127.0.0.13']);
  // Nothing but comments, entries and their two directives.
  for (const line of text.split('\n')) assert.match(line, /^(#.*|\[[^;\]]+;[^\]]+\]| {4}(address|use_node_name) \S+|)$/, line);
});

test('hosts: one line per host with an IP, the short name as an alias', () => {
  const text = content(generate('hosts', inventory, inventory.hosts), 'hosts');
  assert.deepEqual(text.split('\n').filter((line) => !line.startsWith('#') && line !== ''), [
    '127.0.0.11\tweb001.example.lan web001',
    '127.0.0.12\tweb002.example.lan web002',
    '127.0.0.13\tweb003.example.lan web003',
    '127.0.0.21\tdb1.example.lan db1',
  ]);
});

test('ssh-config: `ssh -G` reads HostName, User and Port back from each Host block', (t) => {
  if (!has('ssh')) return t.skip('ssh is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'muster-gen-ssh-'));
  writeAll(generate('ssh-config', inventory, inventory.hosts), dir);
  for (const host of inventory.hosts) {
    const run = spawnSync('ssh', ['-G', '-F', join(dir, 'ssh_config'), host.name], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const settings = Object.fromEntries(run.stdout.split('\n').map((line) => line.split(' ')).map(([key, ...rest]) => [key, rest.join(' ')]));
    assert.deepEqual({ hostname: settings['hostname'], user: settings['user'], port: settings['port'] }, { hostname: host.address, user: host.user, port: String(host.port) });
  }
});

test('keepalived: a VRRP instance per role with a vip, one file per host, passes keepalived -t', (t) => {
  if (!has('keepalived')) return t.skip('keepalived is not installed');
  const files = generate('keepalived', inventory, inventory.hosts);
  assert.deepEqual(files.map((f) => f.name), ['web001.example.lan.conf', 'web002.example.lan.conf', 'web003.example.lan.conf']);
  const dir = mkdtempSync(join(tmpdir(), 'muster-gen-keepalived-'));
  writeAll(files, dir);
  for (const file of files) {
    const run = spawnSync('keepalived', ['-t', '-l', '-f', join(dir, file.name)], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${file.name}: ${run.stdout}${run.stderr}`);
    assert.doesNotMatch(run.stdout + run.stderr, /invalid|not valid|unknown|must be/i);
  }
  // web001 has keepalived_priority 200: the master; the others count down from 150 in inventory order.
  assert.match(content(files, 'web001.example.lan.conf'), /state MASTER\n\s+interface eth0\n\s+virtual_router_id 51\n\s+priority 200\n/);
  assert.match(content(files, 'web002.example.lan.conf'), /state BACKUP\n(?:.*\n)*?\s+priority 149\n/);
  assert.match(content(files, 'web003.example.lan.conf'), /virtual_ipaddress \{\n\s+127\.0\.0\.100\n\s+\}/);
  // The validator is really looking.
  writeFileSync(join(dir, 'bad.conf'), content(files, 'web001.example.lan.conf').replace('virtual_router_id 51', 'virtual_router_id 999'));
  assert.notEqual(spawnSync('keepalived', ['-t', '-f', join(dir, 'bad.conf')]).status, 0);
});

test('keepalived: a role with a vip but no vrrp_router_id is an inventory error at the role', () => {
  const noId = fixtureInventory((text) => text.replace(', vrrp_router_id: 51', ''));
  assert.throws(() => generate('keepalived', noId, noId.hosts), /fleet\.yaml:\d+:\d+: role "web" has a vip but no vrrp_router_id/);
});

function nginxTest(upstreams: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'muster-gen-nginx-'));
  writeFileSync(join(dir, 'upstreams.conf'), upstreams);
  writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n    access_log off;\n    include ${dir}/upstreams.conf;\n    server {\n        listen 127.0.0.1:1;\n        location / { proxy_pass http://web; }\n    }\n}\n`);
  const run = spawnSync('nginx', ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

test('nginx-upstream: an upstream per role with http_port passes nginx -t; a host in a skip state is `down`', (t) => {
  if (!has('nginx')) return t.skip('nginx is not installed');
  const text = content(generate('nginx-upstream', inventory, inventory.hosts), 'upstreams.conf');
  const result = nginxTest(text);
  assert.equal(result.status, 0, result.output);
  assert.match(text, /upstream web \{\n\s+server 127\.0\.0\.11:80;.*\n\s+server 127\.0\.0\.12:8080;.*\n\s+server 127\.0\.0\.13:80;.*\n\}/);
  const withDb = fixtureInventory((text) => text.replace('vars: { pg_port: 5432 }', 'vars: { pg_port: 5432, http_port: 8008 }'));
  const both = content(generate('nginx-upstream', withDb, withDb.hosts), 'upstreams.conf');
  assert.match(both, /upstream db \{\n\s+server 127\.0\.0\.21:8008 down;/);
  assert.equal(nginxTest(both).status, 0);
  // The validator is really looking.
  assert.notEqual(nginxTest(text.replace('server 127.0.0.11:80;', 'server 127.0.0.11:80 nonsense;')).status, 0);
});

test('generators take a selection: -s web gives web hosts only', () => {
  const webs = inventory.hosts.filter((host) => host.roles.includes('web'));
  const text = content(generate('hosts', inventory, webs), 'hosts');
  assert.doesNotMatch(text, /db1/);
  assert.throws(() => generate('nope', inventory, webs), /No generator named "nope"/);
});
