import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MusterError } from '../core/errors.js';
import { parseInventory, select } from '../inventory/index.js';
import { exportAnsible } from './ansible.js';
import { hostileFleet } from './fixture.test-helper.js';

const hasAnsible = spawnSync('ansible-inventory', ['--version'], { stdio: 'ignore' }).status === 0;

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  all: { children: string[] };
  [group: string]: unknown;
}

/** What Ansible itself makes of the export: an inventory script that prints it, read by `ansible-inventory --list`. */
function throughAnsible(json: string): AnsibleList {
  const dir = mkdtempSync(join(tmpdir(), 'muster-ansible-'));
  try {
    writeFileSync(join(dir, 'fleet.json'), json);
    const script = join(dir, 'inventory.sh');
    writeFileSync(script, `#!/bin/sh\nexec cat '${join(dir, 'fleet.json')}'\n`);
    chmodSync(script, 0o755);
    const out = execFileSync('ansible-inventory', ['-i', script, '--list'], {
      encoding: 'utf8', cwd: dir, env: { ...process.env, ANSIBLE_HOME: dir, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' },
    });
    return JSON.parse(out) as AnsibleList;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ansible export: ansible-inventory reads back every host, group and var', { skip: hasAnsible ? false : 'ansible-inventory (Debian ansible-core) is not installed' }, () => {
  const { inventory, pwnDir } = hostileFleet();
  rmSync(pwnDir, { recursive: true });
  const { hosts } = select(inventory, ['all'], { allStates: true });
  const got = throughAnsible(exportAnsible(inventory, hosts));
  const groupHosts = (name: string): unknown => (got[name] as { hosts?: string[] } | undefined)?.hosts;
  assert.deepEqual(groupHosts('web'), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan', 'odd-1.example.lan']);
  // "web-front" is not a valid Ansible group name: it becomes web_front.
  assert.deepEqual(groupHosts('web_front'), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan']);
  assert.deepEqual(groupHosts('db'), ['db1.example.lan']);
  assert.deepEqual(groupHosts('tokyo'), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan']);
  assert.deepEqual(groupHosts('state_warn'), ['odd-1.example.lan']);
  assert.deepEqual(groupHosts('state_stop'), ['db1.example.lan']);
  assert.ok(got.all.children.includes('mail'), 'an empty role is still a group');
  assert.deepEqual(Object.keys(got._meta.hostvars).sort(), hosts.map((h) => h.name).sort());
  for (const host of hosts) {
    const vars = got._meta.hostvars[host.name];
    assert.ok(vars);
    assert.equal(vars['ansible_host'], host.address);
    assert.equal(vars['ansible_user'], 'root');
    assert.equal(vars['ansible_port'], host.port);
    assert.equal(vars['muster_state'], host.state);
    assert.deepEqual(vars['muster_roles'], host.roles);
    for (const [key, value] of Object.entries(host.vars)) assert.deepEqual(vars[key], value, `${host.name} var ${key}`);
  }
  assert.equal(got._meta.hostvars['db1.example.lan']?.['muster_note'], 'disk replaced');
});

test('ansible export: a role that would become an existing Ansible group is an error naming both', () => {
  const clash = parseInventory([{ path: 'm.yaml', text: 'roles:\n  web-x: {}\n  web_x: {}\n' }]);
  assert.throws(() => exportAnsible(clash, clash.hosts), (error: unknown) => error instanceof MusterError
    && error.message === 'Cannot export as ansible: role "web-x" and role "web_x" both become the Ansible group "web_x"; rename one');
  const reserved = parseInventory([{ path: 'm.yaml', text: 'roles:\n  all: {}\n' }]);
  assert.throws(() => exportAnsible(reserved, reserved.hosts), /Ansible's group "all" and role "all"/);
  const state = parseInventory([{ path: 'm.yaml', text: 'states: [ok]\nroles:\n  state_ok: {}\n' }]);
  assert.throws(() => exportAnsible(state, state.hosts), /role "state_ok" and state "ok" both become the Ansible group "state_ok"/);
});

test('ansible export: inventory fields win over vars of the same name', () => {
  const inventory = parseInventory([{ path: 'm.yaml', text: 'hosts:\n  a1: { address: 127.0.0.5, vars: { ansible_host: 10.9.9.9, ansible_python_interpreter: /usr/bin/python3 } }\n' }]);
  const doc = JSON.parse(exportAnsible(inventory, inventory.hosts)) as AnsibleList;
  assert.equal(doc._meta.hostvars['a1']?.['ansible_host'], '127.0.0.5');
  assert.equal(doc._meta.hostvars['a1']?.['ansible_python_interpreter'], '/usr/bin/python3');
});

test('ansible export: a var holding a Jinja template stays text; Ansible does not run it on the control node', { skip: hasAnsible ? false : 'ansible (Debian ansible-core) is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-ansible-jinja-'));
  try {
    const marker = join(dir, 'ran');
    const template = `{{ lookup("pipe", "touch ${marker}") }}`;
    const inventory = parseInventory([{ path: 'm.yaml', text: `hosts:\n  a1: { address: 127.0.0.1, note: "{% raw %}", vars: { x: '${template}', plain: "a{b}", list: ['{# c #}', 1] } }\n` }]);
    const json = exportAnsible(inventory, inventory.hosts);
    const vars = (JSON.parse(json) as AnsibleList)._meta.hostvars['a1'];
    assert.deepEqual(vars?.['x'], { __ansible_unsafe: template });
    assert.equal(vars?.['plain'], 'a{b}', 'a string without Jinja delimiters stays plain');
    assert.deepEqual(vars?.['list'], [{ __ansible_unsafe: '{# c #}' }, 1]);
    assert.deepEqual(vars?.['muster_note'], { __ansible_unsafe: '{% raw %}' });
    writeFileSync(join(dir, 'fleet.json'), json);
    const script = join(dir, 'inventory.sh');
    writeFileSync(script, `#!/bin/sh\nexec cat '${join(dir, 'fleet.json')}'\n`);
    chmodSync(script, 0o755);
    const out = execFileSync('ansible', ['all', '-i', script, '-c', 'local', '-m', 'debug', '-a', 'var=x'], {
      encoding: 'utf8', cwd: dir, env: { ...process.env, ANSIBLE_HOME: dir, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' },
    });
    assert.ok(out.includes('lookup(\\"pipe\\"'), out);
    assert.throws(() => execFileSync('test', ['-e', marker]), 'the template ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
