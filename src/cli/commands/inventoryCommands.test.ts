// The inventory's commands (check, ls, show, nodeset) run as a real process: exit codes, stdout, stderr.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUsageFailure, musterSync, type Ran } from './cli.test-helper.js';

let root: string;

function muster(args: string[], cwd = join(root, 'good')): Ran {
  return musterSync(args, { cwd });
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'muster-cli-inv-'));
  mkdirSync(join(root, 'good'));
  writeFileSync(join(root, 'good', 'muster.yaml'), `states: [ok, warn, stop]
skip_states: [stop]
defaults: { user: root, vars: { ntp: ntp1 } }
roles:
  web: { vars: { http_port: 80 } }
  db: {}
groups:
  tokyo: "dc=tk1"
hosts:
  web[001-004]:
    roles: [web]
    address: 10.0.0.[1-4]
    vars: { dc: tk1 }
  web005: { roles: [web], state: stop, vars: { dc: tk1 } }
  db1: { roles: [db], state: warn, note: "disk replaced" }
`);
  mkdirSync(join(root, 'bad', 'inventory'), { recursive: true });
  writeFileSync(join(root, 'bad', 'inventory', 'a.yaml'), 'roles: { web: {} }\nhosts:\n  web[1-2]: { roles: [web, nope], colour: red }\n  web[3-4]: { address: "10.0.0.[1-3]" }\n');
  writeFileSync(join(root, 'bad', 'inventory', 'b.yaml'), 'hosts:\n  web1: {}\n');
  mkdirSync(join(root, 'yaml'));
  writeFileSync(join(root, 'yaml', 'muster.yaml'), 'hosts:\n  a: {\n');
  mkdirSync(join(root, 'none'));
});

after(() => rmSync(root, { recursive: true, force: true }));

test('check: one summary line, exit 0', () => {
  const result = muster(['check']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'muster.yaml: 6 hosts (4 ok, 1 warn, 1 stop), 2 roles, 1 group — ok\n');
  const json = JSON.parse(muster(['check', '--json']).stdout) as { ok: boolean; hosts: number };
  assert.equal(json.ok, true);
  assert.equal(json.hosts, 6);
});

test('check: every problem, one line each with file:line:col, exit 2, no stack', () => {
  const result = muster(['check'], join(root, 'bad'));
  assertUsageFailure(result, /^muster: Cannot load inventory: inventory\/a\.yaml:3:28: unknown role "nope" \(roles: web\)\n/);
  const lines = result.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.slice(1), [
    '  inventory/a.yaml:3:35: unknown key "colour" in "hosts.web[1-2]" (allowed: roles, address, user, port, state, note, vars, files, provision)',
    '  inventory/a.yaml:4:24: address pattern "10.0.0.[1-3]" makes 3 addresses but host pattern "web[3-4]" makes 2 hosts',
    '  inventory/b.yaml:2:3: host "web1" is defined twice (first at inventory/a.yaml:3:3)',
  ]);
});

test('check: malformed YAML and a missing inventory', () => {
  assertUsageFailure(muster(['check'], join(root, 'yaml')), /^muster: Cannot load inventory: muster\.yaml:3:1: YAML: /);
  assertUsageFailure(muster(['check'], join(root, 'none')), /^muster: No inventory found/);
  assertUsageFailure(muster(['check', '-i', 'nope.yaml']), /^muster: Cannot load inventory: nope\.yaml does not exist/);
});

test('ls: table by default, skip_states left out and said on stderr, folded', () => {
  const result = muster(['ls', 'web']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, [
    'NAME    ADDRESS   STATE  ROLES',
    'web001  10.0.0.1  ok     web',
    'web002  10.0.0.2  ok     web',
    'web003  10.0.0.3  ok     web',
    'web004  10.0.0.4  ok     web',
    '',
  ].join('\n'));
  assert.equal(result.stderr, 'muster: left out 1 host for their state (stop: web005); add --all-states to include them\n');
  assert.equal(muster(['ls', 'web', '--all-states', '-o', 'fold']).stdout, 'web[001-005]\n');
  assert.equal(muster(['ls', 'web', '-q', '-o', 'fold']).stderr, '');
});

test('ls: names, fold, json, yaml, --json lines', () => {
  assert.equal(muster(['ls', 'web&dc=tk1!web[001-002]', '-o', 'names']).stdout, 'web003\nweb004\n');
  assert.equal(muster(['ls', '-o', 'fold']).stdout, 'db1,web[001-004]\n');
  const hosts = JSON.parse(muster(['ls', 'db1', '-o', 'json']).stdout) as unknown;
  assert.deepEqual(hosts, [{ name: 'db1', address: 'db1', user: 'root', roles: ['db'], state: 'warn', note: 'disk replaced', vars: { ntp: 'ntp1' } }]);
  assert.match(muster(['ls', 'db1', '-o', 'yaml']).stdout, /^- name: db1\n {2}address: db1\n/);
  const lines = muster(['ls', 'tokyo', '--json']).stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { name: string }).name);
  assert.deepEqual(lines, ['web001', 'web002', 'web003', 'web004']);
});

test('global options may come before the command: muster -i FILE ls, muster --json -q ls', () => {
  const elsewhere = join(root, 'good', '..');
  assert.equal(muster(['-i', 'good/muster.yaml', 'ls', '-o', 'fold'], elsewhere).stdout, 'db1,web[001-004]\n');
  assert.equal(muster(['--inventory=good/muster.yaml', '-q', 'ls', 'db1', '-o', 'names'], elsewhere).stdout, 'db1\n');
  assert.equal(muster(['--json', 'ls', 'db1']).stdout.trimEnd().split('\n').length, 1);
  assertUsageFailure(muster(['-i', 'good/muster.yaml'], elsewhere), /Expected a command before the option "-i"/);
});

test('ls: a bad selector points at the character, exit 2', () => {
  const result = muster(['ls', 'web&role:nope']);
  assertUsageFailure(result, /^muster: Invalid selector: no role named "nope" \(known: web, db\)\n {2}web&role:nope\n {11}\^\n$/);
  assertUsageFailure(muster(['ls', '-o', 'xml']), /argument 'xml' is invalid/);
});

test('show: every value with the place it came from; --json as data', () => {
  const result = muster(['show', 'web002']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, [
    'web002  (defined at muster.yaml:10:3)',
    '  address    10.0.0.2  muster.yaml:12:5 (host)',
    '  user       root      muster.yaml:3:13 (defaults)',
    '  state      ok        muster.yaml:1:1 (defaults)',
    '  roles      web',
    'vars:',
    '  ntp        ntp1      muster.yaml:3:33 (defaults)',
    '  http_port  80        muster.yaml:5:18 (role:web)',
    '  dc         tk1       muster.yaml:13:13 (host)',
    '',
  ].join('\n'));
  const data = JSON.parse(muster(['show', 'web002', '--json']).stdout) as { vars: Record<string, { value: unknown; from: { layer: string; line: number } }> };
  assert.deepEqual(data.vars['http_port'], { value: 80, from: { layer: 'role:web', file: 'muster.yaml', line: 5, col: 18 } });
  assertUsageFailure(muster(['show', 'web']), /^muster: No host named "web": did you mean web001, web002, web003, web004, web005\?\n$/);
});

test('nodeset: fold, expand, count; bad pattern exit 2', () => {
  assert.equal(muster(['nodeset', 'fold', 'web001', 'web002', 'web003', 'web007']).stdout, 'web[001-003,007]\n');
  assert.equal(muster(['nodeset', 'expand', 'rack[1-2]node[01-02]']).stdout, 'rack1node01 rack1node02 rack2node01 rack2node02\n');
  assert.equal(muster(['nodeset', 'expand', '-S', '\n', 'a[1-2]']).stdout, 'a1\na2\n');
  assert.equal(muster(['nodeset', 'count', 'web[001-100,200]', 'web050']).stdout, '101\n');
  assertUsageFailure(muster(['nodeset', 'count', 'web[1-']), /^muster: Invalid nodeset "web\[1-" at offset 3: unclosed "\["/);
  assertUsageFailure(muster(['nodeset', 'explode', 'x']), /Unknown nodeset action "explode"/);
});
