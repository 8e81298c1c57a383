import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseInventory } from './parse.js';
import { InvalidFileError } from '../core/errors.js';

const design = `version: 1
defaults:                      # every host
  user: root
  port: 22
  vars: { ntp: ntp1.example.lan }
states: [ok, warn, stop]
skip_states: [stop]
roles:
  web:
    description: Apache front ends
    vars: { http_port: 80, vip: 192.0.2.10 }
  mail: {}
groups:
  tokyo: "dc=tk1"
hosts:
  web[001-100].example.lan:
    roles: [web]
    address: 192.0.2.[11-110]
    vars: { dc: tk1 }
  mail001.example.lan:
    roles: [mail]
    state: warn
    note: disk replaced 2026-11-01
`;

/** The problems of an invalid inventory, one string per line of the error. */
function problemsOf(sources: { path: string; text: string }[]): string[] {
  try {
    parseInventory(sources);
  } catch (error) {
    assert.ok(error instanceof InvalidFileError, String(error));
    assert.equal(error.message.split('\n').length, error.problems.length);
    return error.message.replace(/^Cannot load inventory: /, '').split('\n').map((line) => line.trim());
  }
  assert.fail('expected an InvalidFileError');
}

test('the DESIGN.md example loads: patterns expanded, addresses in step', () => {
  const inventory = parseInventory([{ path: 'muster.yaml', text: design }]);
  assert.equal(inventory.hosts.length, 101);
  const web = inventory.hostsByName.get('web100.example.lan');
  assert.equal(web?.address, '192.0.2.110');
  assert.equal(inventory.hosts[0]?.address, '192.0.2.11');
  assert.deepEqual(inventory.states, ['ok', 'warn', 'stop']);
  assert.deepEqual(inventory.skipStates, ['stop']);
  assert.deepEqual([...inventory.roles.keys()], ['web', 'mail']);
  assert.equal(inventory.groups.get('tokyo')?.selector, 'dc=tk1');
  const mail = inventory.hostsByName.get('mail001.example.lan');
  assert.equal(mail?.state, 'warn');
  assert.equal(mail?.note, 'disk replaced 2026-11-01');
  assert.equal(mail?.address, 'mail001.example.lan');
  assert.deepEqual(inventory.files, [resolve('muster.yaml')]);
});

test('vars: defaults < roles in order listed < host, with provenance of every key', () => {
  const text = `defaults:
  vars: { a: d, b: d, c: d, d: d }
roles:
  one:
    vars: { b: one, c: one }
  two:
    vars: { c: two }
hosts:
  h1:
    roles: [one, two]
    user: admin
    vars:
      d: host
`;
  const host = parseInventory([{ path: 'f.yaml', text }]).hostsByName.get('h1');
  assert.deepEqual(host?.vars, { a: 'd', b: 'one', c: 'two', d: 'host' });
  assert.deepEqual(host?.provenance['a'], { layer: 'defaults', at: { file: 'f.yaml', line: 2, col: 11 } });
  assert.deepEqual(host?.provenance['b'], { layer: 'role:one', at: { file: 'f.yaml', line: 5, col: 13 } });
  assert.deepEqual(host?.provenance['c'], { layer: 'role:two', at: { file: 'f.yaml', line: 7, col: 13 } });
  assert.deepEqual(host?.provenance['d'], { layer: 'host', at: { file: 'f.yaml', line: 13, col: 7 } });
  assert.deepEqual(host?.provenance['user'], { layer: 'host', at: { file: 'f.yaml', line: 11, col: 5 } });
  assert.equal(host?.state, 'ok');
  assert.equal(host?.provenance['state']?.layer, 'defaults');
  assert.deepEqual(host?.definedAt, { file: 'f.yaml', line: 9, col: 3 });
});

test('hosts of one pattern do not share mutable vars', () => {
  const inventory = parseInventory([{ path: 'f.yaml', text: 'hosts:\n  h[1-2]: { vars: { a: 1 } }\n' }]);
  const [one, two] = inventory.hosts;
  assert.ok(one && two);
  one.vars['a'] = 2;
  assert.equal(two.vars['a'], 1);
});

test('several files merge; ssh_config is made absolute relative to its file', () => {
  const inventory = parseInventory([
    { path: 'inv/roles.yaml', text: 'roles: { web: { vars: { p: 80 } } }\nssh_config: ../ssh/config\n' },
    { path: 'inv/hosts.yaml', text: 'hosts:\n  web1: { roles: [web] }\n' },
  ]);
  assert.equal(inventory.hostsByName.get('web1')?.vars['p'], 80);
  assert.equal(inventory.hostsByName.get('web1')?.provenance['p']?.at.file, 'inv/roles.yaml');
  assert.equal(inventory.sshConfig, resolve('ssh/config'));
});

test('settings given once across files; version may repeat', () => {
  assert.equal(parseInventory([{ path: 'a.yaml', text: 'version: 1\n' }, { path: 'b.yaml', text: 'version: 1\nhosts: { a: {} }\n' }]).hosts.length, 1);
  assert.deepEqual(problemsOf([
    { path: 'a.yaml', text: 'states: [ok]\ndefaults: { user: x, vars: { a: 1 } }\n' },
    { path: 'b.yaml', text: 'states: [ok]\ndefaults: { user: y, vars: { a: 2 } }\n' },
  ]), [
    'b.yaml:1:1: "states" is defined twice (first at a.yaml:1:1)',
    'b.yaml:2:13: "defaults.user" is defined twice (first at a.yaml:2:13)',
    'b.yaml:2:30: "defaults.vars.a" is defined twice (first at a.yaml:2:30)',
  ]);
});

test('no states declared: ok, warn, stop with stop skipped', () => {
  const inventory = parseInventory([{ path: 'f.yaml', text: 'hosts: { a: { state: stop } }' }]);
  assert.deepEqual(inventory.states, ['ok', 'warn', 'stop']);
  assert.deepEqual(inventory.skipStates, ['stop']);
  const declared = parseInventory([{ path: 'f.yaml', text: 'states: [up, down]\nhosts: { a: {} }' }]);
  assert.deepEqual(declared.skipStates, []);
  assert.equal(declared.hosts[0]?.state, 'up');
});

test('empty file and checks', () => {
  assert.equal(parseInventory([{ path: 'f.yaml', text: '' }]).hosts.length, 0);
  const inventory = parseInventory([{ path: 'f.yaml', text: 'roles: { web: {} }\nchecks:\n  http: { command: "check_http -H {{ host.address }}", on: web }\n  ping: { command: ping }\n' }]);
  assert.equal(inventory.checks.get('http')?.on, 'web');
  assert.equal(inventory.checks.get('ping')?.on, 'all');
});

test('malformed YAML: one line with its position', () => {
  assert.deepEqual(problemsOf([{ path: 'f.yaml', text: 'hosts:\n  a: [1, 2\n' }]), ['f.yaml:3:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  assert.deepEqual(problemsOf([{ path: 'f.yaml', text: 'hosts:\n  a: {}\n  a: {}\n' }]), ['f.yaml:3:3: YAML: key "a" appears twice in the same mapping (first at 2:3)']);
  assert.deepEqual(problemsOf([{ path: 'f.yaml', text: '- a\n- b\n' }]), ['f.yaml:1:1: an inventory file must be a mapping of keys (version, defaults, roles, hosts, …)']);
});

test('unknown keys and wrong types are errors at the key or value', () => {
  const problems = problemsOf([{ path: 'f.yaml', text: 'hostz: {}\ndefaults:\n  port: "22"\nhosts:\n  a:\n    adress: x\n  b:\n    port: 70000\n' }]);
  assert.deepEqual(problems, [
    'f.yaml:1:1: unknown key "hostz" (allowed: version, defaults, states, skip_states, roles, groups, hosts, ssh_config, checks, agents, profiles)',
    'f.yaml:3:9: "defaults.port" must be a number, not the text "22"',
    'f.yaml:6:5: unknown key "adress" in "hosts.a" (allowed: roles, address, user, port, state, note, vars, files, provision)',
    'f.yaml:8:11: "hosts.b.port": must be <=65535',
  ]);
});

test('several issues in one part: each says what is wrong there, none calls a present value missing', () => {
  const problems = problemsOf([{ path: 'f.yaml', text: 'states: ["-a", "-b"]\nhosts:\n  h1: { address: 127.0.0.1 }\n' }]);
  assert.deepEqual(problems.filter((problem) => problem.includes('"states.')).map((problem) => problem.replace(/: State names .*/, ': State names…')), [
    'f.yaml:1:10: "states.0": State names…',
    'f.yaml:1:16: "states.1": State names…',
  ]);
});

test('unknown roles and states, bad names', () => {
  const problems = problemsOf([{ path: 'f.yaml', text: 'states: [ok, down]\nskip_states: [gone]\nroles: { web: {}, "bad role": {} }\nhosts:\n  a: { roles: [web, db], state: stop }\n' }]);
  assert.deepEqual(problems, [
    'f.yaml:2:1: unknown state "gone" in "skip_states" (states: ok, down)',
    'f.yaml:3:19: "roles.bad role": Role names may use only letters, digits, "_", "." and "-" (and not start with "." or "-")',
    'f.yaml:5:21: unknown role "db" (roles: web, bad role)',
    'f.yaml:5:33: unknown state "stop" (states: ok, down)',
  ]);
});

test('duplicates across files name both places', () => {
  const problems = problemsOf([
    { path: 'a.yaml', text: 'roles: { web: {} }\nhosts:\n  web[1-3]: { address: "10.0.0.[1-3]" }\n' },
    { path: 'b.yaml', text: 'roles: { web: {} }\nhosts:\n  web2: {}\n  web[3-4]: {}\n  other: { address: 10.0.0.1 }\n' },
  ]);
  assert.deepEqual(problems, [
    'b.yaml:1:10: role "web" is defined twice (first at a.yaml:1:10)',
    'b.yaml:3:3: host "web2" is defined twice (first at a.yaml:3:3)',
    'b.yaml:4:3: host "web3" is defined twice (first at a.yaml:3:3)',
    'b.yaml:5:21: address of host other (10.0.0.1) is already used by host "web1" (first at a.yaml:3:15)',
  ]);
});

test('a pattern defined twice is one problem, folded', () => {
  const problems = problemsOf([
    { path: 'a.yaml', text: 'hosts:\n  web[01-50]: {}\n  web[01-50]x: {}\n' },
    { path: 'b.yaml', text: 'hosts:\n  web[01-60]: {}\n' },
  ]);
  assert.deepEqual(problems, ['b.yaml:2:3: host web[01-50] (50 hosts) are defined twice (first at a.yaml:2:3)']);
});

test('pattern size mismatch and bad patterns', () => {
  const problems = problemsOf([{ path: 'f.yaml', text: 'hosts:\n  web[001-100]:\n    address: 192.0.2.[11-109]\n  db[1-2]:\n    address: 10.0.0.1\n  x[1-:\n    {}\n' }]);
  assert.deepEqual(problems, [
    'f.yaml:3:14: address pattern "192.0.2.[11-109]" makes 99 addresses but host pattern "web[001-100]" makes 100 hosts',
    'f.yaml:5:14: address "10.0.0.1" would be shared by the 2 hosts of "db[1-2]": give an address pattern of the same size (e.g. 192.0.2.[1-2])',
    'f.yaml:6:3: bad host pattern: Invalid nodeset "x[1-" at offset 1: unclosed "["',
  ]);
});

test('bad selectors in groups and checks point at the character', () => {
  const problems = problemsOf([{ path: 'f.yaml', text: 'roles: { web: {} }\ngroups:\n  g1: "web&nosuch"\n  g2: web,(web\n  loop: "loop2"\n  loop2: "web!loop"\nchecks:\n  c: { command: x, on: "role:zz" }\n' }]);
  assert.deepEqual(problems, [
    'f.yaml:3:12: group "g1": "nosuch" is not a role, group or host',
    'f.yaml:4:11: group "g2": unclosed "("',
    'f.yaml:5:10: group "loop": group "loop2" (web!loop): group "loop" refers to itself (loop → loop2 → loop)',
    'f.yaml:6:15: group "loop2": group "loop" (loop2): group "loop2" refers to itself (loop2 → loop → loop2)',
    'f.yaml:8:30: check "c": "on": no role named "zz" (known: web)',
  ]);
});

test('every problem in one pass, ordered by file and line', () => {
  const problems = problemsOf([
    { path: 'a.yaml', text: 'hosts:\n  a: { roles: [x] }\n  b: { colour: red }\n' },
    { path: 'b.yaml', text: 'hosts: [\n' },
    { path: 'c.yaml', text: 'hosts:\n  a: {}\n' },
  ]);
  assert.equal(problems.length, 4);
  assert.match(problems[0] ?? '', /^a\.yaml:2:16: unknown role "x"/);
  assert.match(problems[1] ?? '', /^a\.yaml:3:8: unknown key "colour"/);
  assert.match(problems[2] ?? '', /^b\.yaml:\d+:\d+: YAML: /);
  assert.match(problems[3] ?? '', /^c\.yaml:2:3: host "a" is defined twice \(first at a\.yaml:2:3\)/);
});

test('hostile input: a user or address with shell characters (they reach ssh_config\'s %r and %h in a ProxyCommand)', () => {
  const problems = problemsOf([{ path: 'f.yaml', text: 'defaults: { user: "-oProxyCommand=x" }\nhosts:\n  a: { user: "r$(id)", address: "h`id`" }\n  b: { address: "x;y" }\n' }]);
  assert.deepEqual(problems.map((line) => line.replace(/: .*?: (an? \w+ \w+).*/, ': $1')), [
    'f.yaml:1:19: a login user',
    'f.yaml:3:14: a login user',
    'f.yaml:3:33: an address is',
    'f.yaml:4:17: an address is',
  ]);
  const fine = parseInventory([{ path: 'f.yaml', text: 'hosts:\n  a: { user: svc.deploy@corp, address: "fe80::1%eth0" }\n  b[1-2]: { address: "10.0.[0-1].1", user: d-1 }\n' }]);
  assert.deepEqual(fine.hosts.map((host) => [host.user, host.address]), [['svc.deploy@corp', 'fe80::1%eth0'], ['d-1', '10.0.0.1'], ['d-1', '10.0.1.1']]);
});

test('hostile input: alias bombs, __proto__ keys, huge patterns', () => {
  const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
  assert.match(problemsOf([{ path: 'f.yaml', text: bomb }])[0] ?? '', /^f\.yaml:1:1: YAML: Excessive alias count/);
  // zod's record would drop a `__proto__` key without a word (a host or var silently gone): an error instead.
  assert.deepEqual(problemsOf([{ path: 'f.yaml', text: 'hosts:\n  a:\n    vars: { __proto__: { polluted: 1 }, constructor: 2 }\n  __proto__: {}\n' }]), [
    'f.yaml:3:13: the key "__proto__" cannot be used (as a host, role, group, state or var name)',
    'f.yaml:4:3: the key "__proto__" cannot be used (as a host, role, group, state or var name)',
  ]);
  const constructor = parseInventory([{ path: 'f.yaml', text: 'hosts:\n  a:\n    vars: { constructor: 2 }\n' }]);
  assert.deepEqual(Object.keys(constructor.hosts[0]?.vars ?? {}), ['constructor']);
  assert.equal(Object.getPrototypeOf(constructor.hosts[0]?.vars), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.match(problemsOf([{ path: 'f.yaml', text: 'hosts:\n  x[1-99999999]: {}\n' }])[0] ?? '', /more than 1000000 names/);
});
