import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Problem } from '../core/errors.js';
import { expandHosts } from './expandHosts.js';
import { readInventoryFile, type ParsedFile } from './inventoryFile.js';
import { mergeFiles } from './mergeFiles.js';

function hostsOf(text: string, states: string[] | undefined = ['ok', 'stop']) {
  const problems: Problem[] = [];
  const files = [readInventoryFile({ path: 'f.yaml', text }, problems) as ParsedFile];
  const hosts = expandHosts(files, mergeFiles(files, problems), states, 'ok', problems);
  return { hosts, problems: problems.map((problem) => `${problem.at?.line}:${problem.at?.col}: ${problem.message}`) };
}

test('a pattern makes one host per name, addresses in step, provenance shared and frozen', () => {
  const { hosts, problems } = hostsOf('roles: { web: { vars: { a: role } } }\nhosts:\n  web[1-2]:\n    roles: [web]\n    address: 127.0.0.[5-6]\n    vars: { b: host }\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(hosts.map((host) => [host.name, host.address, host.state]), [['web1', '127.0.0.5', 'ok'], ['web2', '127.0.0.6', 'ok']]);
  assert.deepEqual(hosts[0]?.vars, { a: 'role', b: 'host' });
  assert.equal(hosts[0]?.provenance, hosts[1]?.provenance);
  assert.ok(Object.isFrozen(hosts[0]?.provenance));
  assert.deepEqual(hosts[0]?.provenance['a'], { layer: 'role:web', at: { file: 'f.yaml', line: 1, col: 25 } });
  assert.notEqual(hosts[0]?.vars, hosts[1]?.vars);
});

test('bad patterns, sizes, roles, states and clashes are problems at their places', () => {
  const { hosts, problems } = hostsOf('hosts:\n  a[1-2]: { address: "10.0.0.[1-3]" }\n  b[1-2]: { address: 10.0.0.9 }\n  c1: { roles: [nope], state: off }\n  "d[": {}\n  c[1-2]: {}\n');
  assert.deepEqual(problems, [
    '2:22: address pattern "10.0.0.[1-3]" makes 3 addresses but host pattern "a[1-2]" makes 2 hosts',
    '3:22: address "10.0.0.9" would be shared by the 2 hosts of "b[1-2]": give an address pattern of the same size (e.g. 192.0.2.[1-2])',
    '4:17: unknown role "nope" (no roles are declared)',
    '4:31: unknown state "off" (states: ok, stop)',
    '5:3: bad host pattern: Invalid nodeset "d[" at offset 1: unclosed "["',
    '6:3: host "c1" is defined twice',
  ]);
  assert.deepEqual(hosts.map((host) => host.name), ['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
});
