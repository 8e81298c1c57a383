/**
 * `muster lab` end to end through the real CLI (bin/muster.js) on real hosts.
 * Needs root and openssh-server; skipped with the reason otherwise.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadInventory, parseInventory } from '../../inventory/index.js';
import { inventoryText } from '../../lab/files.js';
import { parseRoles, planHosts } from '../../lab/plan.js';
import { labDown, labUnavailableReason, type Lab } from '../../lab/index.js';

const bin = fileURLToPath(new URL('../../../bin/muster.js', import.meta.url));
const unavailable = await labUnavailableReason();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function muster(args: string[], wrap: string[] = []): Promise<Ran> {
  const [command, ...rest] = [...wrap, process.execPath, bin, ...args];
  return new Promise((resolve) => {
    execFile(command ?? process.execPath, rest, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('muster lab refuses to run without root, in one line and exit 2', { skip: process.getuid?.() === 0 ? false : 'needs root to drop to an unprivileged user' }, async () => {
  const ran = await muster(['lab', 'up', '1', '--name', 'never'], ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
  assert.equal(ran.code, 2);
  assert.equal(ran.stderr, 'muster: muster lab needs root: it creates namespaces and mounts (run it as root, e.g. with sudo)\n');
});

test('the lab inventory, read by the real parser, has exactly the planned hosts, addresses, roles and vars', () => {
  for (const [count, roles] of [[20, 'web,db:5,cache'], [600, ''], [1, 'web']] as const) {
    const hosts = planHosts({ prefix: 'lab', count, roles: parseRoles(roles), net: 140 });
    const inventory = parseInventory([{ path: '/lab/muster.yaml', text: inventoryText({ name: 't', prefix: 'lab', hosts }) }]);
    assert.deepEqual(
      inventory.hosts.map((host) => [host.name, host.address, host.roles, host.vars['dc'], host.user]),
      hosts.map((host) => [host.name, host.address, host.roles, host.vars.dc, 'root']),
    );
    assert.equal(inventory.sshConfig, '/lab/ssh_config');
  }
});

test('bad arguments are usage errors, before anything is made', async () => {
  const count = await muster(['lab', 'up', 'many']);
  assert.equal(count.code, 2);
  assert.match(count.stderr, /^muster: Invalid host count "many": expected a whole number\n/);
  const roles = await muster(['lab', 'up', '3', '--roles', 'web:2,db:2']);
  assert.equal(roles.code, 2);
  assert.match(roles.stderr, /--roles asks for 4 hosts but the lab has 3/);
  assert.doesNotMatch(roles.stderr, /\n\s+at /, 'no stack trace');
});

describe('muster lab up, status, stop, start, down', { skip: unavailable ?? false }, () => {
  const name = `test-cli-${process.pid}`;
  after(async () => {
    await labDown(name);
  });

  test('up writes an inventory that muster loads, and says how to use it', async () => {
    const ran = await muster(['lab', 'up', '--name', name, '--roles', 'web:2,db:1', '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const lab = JSON.parse(ran.stdout) as Lab;
    assert.deepEqual(lab.hosts.map((host) => [host.name, host.roles]), [['lab01', ['web']], ['lab02', ['web']], ['lab03', ['db']]]);
    const inventory = await loadInventory({ path: lab.inventoryPath });
    assert.deepEqual(inventory.hosts.map((host) => host.address), lab.hosts.map((host) => host.address));
    assert.equal(inventory.sshConfig, lab.sshConfigPath);

    const again = await muster(['lab', 'up', '--name', name, '--roles', 'web:2,db:1']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`^lab "${name}" was already there with 3 hosts; left as it was`));
    assert.match(again.stdout, new RegExp(`export MUSTER_INVENTORY=${lab.inventoryPath}\n`));
  });

  test('stop and start one host; status says which are stopped', async () => {
    const stop = await muster(['lab', 'stop', 'lab02', '--name', name]);
    assert.deepEqual([stop.code, stop.stdout], [0, 'lab02: stopped\n']);
    const status = await muster(['lab', 'status', '--name', name]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, new RegExp(`^lab "${name}": 3 hosts, 2 running, 1 stopped \\(lab02\\)\n`));
    assert.match(status.stdout, /lab02 +127\.\d+\.0\.2 +stopped +web\n/);
    const start = await muster(['lab', 'start', 'lab02', '--name', name]);
    assert.deepEqual([start.code, start.stdout], [0, 'lab02: started\n']);
    const unknown = await muster(['lab', 'stop', 'lab09', '--name', name]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^muster: No host named "lab09"/);
  });

  test('down removes the lab; a second down says there is no such lab', async () => {
    const down = await muster(['lab', 'down', '--name', name]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`^lab "${name}": down in [\\d.]+s`));
    const again = await muster(['lab', 'down', '--name', name]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`^muster: No lab named "${name}"`));
  });
});
