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

  test('up with another shape refuses, naming what differs, and leaves the lab and its files; no shape keeps it', async () => {
    const status = await muster(['lab', 'status', '--name', name, '--json']);
    const inventory = (JSON.parse(status.stdout) as { inventoryPath: string }).inventoryPath;
    const ssh = (host: string, command: string, user = 'root') =>
      new Promise<Ran>((resolve) => execFile('ssh', ['-F', inventory.replace(/muster\.yaml$/, 'ssh_config'), '-l', user, host, command], (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })));
    assert.equal((await ssh('lab01', 'echo kept > /root/kept')).code, 0);
    const refused = await muster(['lab', 'up', '3', '--name', name]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.split('\n')[0], `muster: Lab "${name}" is already up with another shape: roles web:2,db:1 (asked: no roles); ` +
      'making it anew would remove its hosts and every file on them: add --recreate for that (given no count and no roles, it is kept as it is)');
    const agents = await muster(['lab', 'up', '4', '--name', name, '--roles', 'web:2,db:1', '--agents']);
    assert.match(agents.stderr, /^muster: Lab "[^"]+" is already up with another shape: 3 hosts \(asked: 4\), no agents \(asked: agents with 1 broker\); making/);
    const kept = await muster(['lab', 'up', '--name', name]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /was already there with 3 hosts; left as it was/);
    assert.equal((await ssh('lab01', 'cat /root/kept')).stdout, 'kept\n', 'the host and its files are still there');
  });

  test('an ordinary user made in a lab host logs in with a key (/ is 0755), as on a server', async () => {
    const status = await muster(['lab', 'status', '--name', name, '--json']);
    const sshConfig = (JSON.parse(status.stdout) as { sshConfigPath: string }).sshConfigPath;
    const ssh = (command: string, user: string) =>
      new Promise<Ran>((resolve) => execFile('ssh', ['-F', sshConfig, '-l', user, 'lab02', command], (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })));
    // A password, as a sudo test gives one: sshd runs without PAM, so a locked account ('!') takes no key.
    const made = await ssh('useradd -m -s /bin/sh alice && echo alice:secret | chpasswd && install -d -m 700 -o alice -g alice ~alice/.ssh && ' +
      'install -m 600 -o alice -g alice /root/.ssh/authorized_keys ~alice/.ssh/ && stat -c %a /', 'root');
    assert.deepEqual([made.code, made.stdout], [0, '755\n'], made.stderr);
    const alice = await ssh('id -un; pwd; ls / >/dev/null && echo can-list-root', 'alice');
    assert.deepEqual([alice.code, alice.stdout], [0, 'alice\n/home/alice\ncan-list-root\n'], alice.stderr);
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
