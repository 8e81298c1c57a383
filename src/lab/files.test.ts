import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expandNodeset } from '../core/nodeset.js';
import { inventoryText, knownHostsText, sshConfigText } from './files.js';
import { parseRoles, planHosts, type PlannedHost } from './plan.js';

const run = promisify(execFile);

/** Reads back the hosts: entries of the inventory text, expanding patterns with core's nodesets. */
function readBack(text: string): { name: string; address: string; roles: string; dc: string }[] {
  const entries = [...text.matchAll(/^ {2}(\S+):\n {4}address: (\S+)\n(?: {4}roles: \[(.*)\]\n)? {4}vars: \{ dc: (\w+) \}$/gm)];
  return entries.flatMap(([, names = '', addresses = '', roles = '', dc = '']) => {
    const expandedAddresses = expandNodeset(addresses);
    return expandNodeset(names).map((name, index) => ({ name, address: expandedAddresses[index] ?? '?', roles, dc }));
  });
}

function expected(hosts: PlannedHost[]) {
  return hosts.map((host) => ({ name: host.name, address: host.address, roles: host.roles.join(', '), dc: host.vars.dc }));
}

test('the inventory lists exactly the planned hosts, as nodeset patterns with addresses in step', () => {
  const hosts = planHosts({ prefix: 'lab', count: 20, roles: parseRoles('web,db:5,cache'), net: 140 });
  const text = inventoryText({ name: 't', prefix: 'lab', hosts });
  assert.deepEqual(readBack(text), expected(hosts));
  assert.match(text, /^version: 1\ndefaults:\n {2}user: root\nssh_config: ssh_config\nroles:\n {2}web: \{\}\n {2}db: \{\}\n {2}cache: \{\}\nhosts:\n/m);
  // One entry per (role, dc) block.
  assert.match(text, /^ {2}lab\[01-04\]:\n {4}address: 127\.140\.0\.\[1-4\]\n {4}roles: \[web\]\n {4}vars: \{ dc: dc1 \}$/m);
  assert.equal(text.match(/^ {2}lab/gm)?.length, 6);
});

test('a lab larger than a /24 is cut at each /24', () => {
  const hosts = planHosts({ prefix: 'n', count: 600, roles: [], net: 141 });
  const text = inventoryText({ name: 't', prefix: 'n', hosts });
  assert.deepEqual(readBack(text), expected(hosts));
  assert.match(text, /n\[255-300\]:\n {4}address: 127\.141\.1\.\[1-46\]/);
});

test('a one-host lab is written without patterns', () => {
  const hosts = planHosts({ prefix: 'lab', count: 1, roles: [], net: 142 });
  const text = inventoryText({ name: 't', prefix: 'lab', hosts });
  assert.match(text, /^ {2}lab01:\n {4}address: 127\.142\.0\.1$/m);
  assert.deepEqual(readBack(text), expected(hosts));
});

test('known_hosts lists each key under the host name and its address', () => {
  assert.equal(
    knownHostsText([{ name: 'lab01', address: '127.1.0.1', publicBlob: 'AAAA' }]),
    'lab01,127.1.0.1 ssh-ed25519 AAAA\n',
  );
});

test('OpenSSH reads the ssh_config: each name maps to its address, with the lab key and strict known_hosts', async (t) => {
  try {
    await access('/usr/bin/ssh');
  } catch {
    t.skip('the OpenSSH client is not installed (package openssh-client)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'muster-lab-files-'));
  try {
    const hosts = planHosts({ prefix: 'lab', count: 3, roles: [], net: 143 });
    const path = join(dir, 'ssh_config');
    await writeFile(path, sshConfigText({ name: 't', prefix: 'lab', hosts }, { identity: '/lab/id_ed25519', knownHosts: '/lab/known_hosts' }));
    const { stdout } = await run('ssh', ['-G', '-F', path, 'lab02']);
    const settings = new Map(stdout.split('\n').map((line) => [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)]));
    assert.equal(settings.get('hostname'), '127.143.0.2');
    assert.equal(settings.get('user'), 'root');
    assert.equal(settings.get('identityfile'), '/lab/id_ed25519');
    assert.equal(settings.get('userknownhostsfile'), '/lab/known_hosts');
    assert.equal(settings.get('stricthostkeychecking'), 'true');
    assert.equal(settings.get('batchmode'), 'yes');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a lab with agents gets an agents section the inventory loader accepts: its brokers, state folder, autosign all, an all-powerful operator', async () => {
  const hosts = planHosts({ prefix: 'lab', count: 3, roles: [], net: 143 });
  const servers = ['tls://127.143.255.251:4222', 'tls://127.143.255.252:4222'];
  const text = inventoryText({ name: 't', prefix: 'lab', hosts, agents: { servers } });
  const dir = await mkdtemp(join(tmpdir(), 'muster-lab-files-'));
  try {
    await writeFile(join(dir, 'muster.yaml'), text);
    await writeFile(join(dir, 'ssh_config'), '');
    const { loadInventory } = await import('../inventory/load.js');
    const inventory = await loadInventory({ path: join(dir, 'muster.yaml') });
    assert.deepEqual(inventory.agents, {
      servers, state: join(dir, 'agents.state'), autosign: 'all', operators: { admin: ['ops'] }, permissions: { ops: ['*'] },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.doesNotMatch(inventoryText({ name: 't', prefix: 'lab', hosts }), /agents/);
});
