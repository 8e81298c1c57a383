import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidFileError } from '../core/errors.js';
import { parseInventory } from './parse.js';
import { InventoryReparser } from './reparse.js';
import type { InventorySource } from './inventoryFile.js';

const base = `version: 1
defaults:
  vars: { ntp: ntp1.lan }
profiles:
  debian12: { kernel: linux, initrd: initrd.gz, installer: { kind: preseed, template: p.liquid } }
roles:
  web:
    vars: { http_port: 80 }
    provision: { profile: debian12, netboot: true }
  db: {}
hosts:
  web[1-3].lan:
    roles: [web]
    address: 10.0.0.[1-3]
  db1.lan:
    roles: [db]
    address: 10.0.1.1   # primary
    vars: { size: big }
  pxe1.lan:
    roles: [web]
    address: 10.0.2.1
    provision:
      interfaces:
        eth0: { mac: "52:54:00:00:00:01", ip: 10.0.2.1, netmask: 255.255.0.0 }
groups:
  big: "size=big"
`;

/** The reparser's result for `text` after `before` (how it went, and the inventory or the error's message), and parseInventory's. */
function both(before: InventorySource[], after: InventorySource[]): { way: string; reparsed: unknown; whole: unknown } {
  const reparser = new InventoryReparser();
  reparser.parse(before);
  const outcome = (parse: () => unknown): unknown => {
    try {
      return parse();
    } catch (error) {
      assert.ok(error instanceof InvalidFileError, String(error));
      return error.message;
    }
  };
  const reparsed = outcome(() => reparser.parse(after));
  return { way: reparser.lastWay, reparsed, whole: outcome(() => parseInventory(after)) };
}

const one = (text: string): InventorySource[] => [{ path: 'muster.yaml', text }];

const edits: [string, string, 'one entry' | 'whole'][] = [
  ['an IP in a flow mapping', base.replace('ip: 10.0.2.1,', 'ip: 10.0.2.9,'), 'one entry'],
  ['a var of a pattern entry', base.replace('address: 10.0.0.[1-3]', 'address: 10.0.9.[1-3]'), 'one entry'],
  ['a value and its comment', base.replace('10.0.1.1   # primary', '10.0.1.7   # standby'), 'one entry'],
  ['a var a group selects on', base.replace('size: big', 'size: small'), 'one entry'],
  ['the last entry, groups after it', base.replace('netmask: 255.255.0.0', 'netmask: 255.255.255.0'), 'one entry'],
  ['two entries', base.replace('address: 10.0.1.1', 'address: 10.0.1.2').replace('ip: 10.0.2.1,', 'ip: 10.0.2.9,'), 'whole'],
  ['a line added', base.replace('    vars: { size: big }\n', '    vars: { size: big }\n    note: new disk\n'), 'whole'],
  ['a host renamed', base.replace('db1.lan:', 'db2.lan:'), 'whole'],
  ['a role edited', base.replace('http_port: 80', 'http_port: 8080'), 'whole'],
  ['an address another host has', base.replace('address: 10.0.1.1', 'address: 10.0.2.1'), 'whole'],
  ['an unknown role', base.replace('roles: [db]', 'roles: [dbx]'), 'whole'],
  ['a bad value', base.replace('address: 10.0.1.1', 'address: [1, 2]'), 'whole'],
  ['the key indented otherwise', base.replace('  db1.lan:\n    roles: [db]', '   db1.lan:\n    roles: [db]'), 'whole'],
  ['an anchor lent', base.replace('vars: { size: big }', 'vars: &v { size: big }'), 'whole'],
];

for (const [what, after, way] of edits) {
  test(`reparse: ${what} is read ${way === 'whole' ? 'whole' : 'as one entry'}, to the same inventory (or error) as a whole parse`, () => {
    assert.notEqual(after, base);
    const result = both(one(base), one(after));
    assert.equal(result.way, way);
    assert.deepStrictEqual(result.reparsed, result.whole);
  });
}

test('reparse: an edit in the second file is one entry when the states are given, else whole (hosts of no state are placed at the first file)', () => {
  const first = { path: 'inventory/00.yaml', text: 'roles:\n  web: {}\n' };
  const second = (ip: number, states = ''): InventorySource => ({ path: 'inventory/10.yaml', text: `${states}hosts:\n  a.lan: { roles: [web], address: 10.0.0.${ip} }\n  b.lan: { address: 10.0.0.9 }\n` });
  const without = both([first, second(1)], [first, second(2)]);
  assert.equal(without.way, 'whole');
  assert.deepStrictEqual(without.reparsed, without.whole);
  const withStates = both([first, second(1, 'states: [ok, stop]\n')], [first, second(2, 'states: [ok, stop]\n')]);
  assert.equal(withStates.way, 'one entry');
  assert.deepStrictEqual(withStates.reparsed, withStates.whole);
});

test('reparse: hosts of the entries not edited are kept object for object', () => {
  const reparser = new InventoryReparser();
  const before = reparser.parse(one(base));
  const after = reparser.parse(one(base.replace('ip: 10.0.2.1,', 'ip: 10.0.2.9,')));
  assert.equal(reparser.lastWay, 'one entry');
  assert.equal(after.hostsByName.get('db1.lan'), before.hostsByName.get('db1.lan'));
  assert.notEqual(after.hostsByName.get('pxe1.lan'), before.hostsByName.get('pxe1.lan'));
  assert.equal(before.hostsByName.get('pxe1.lan')?.provision?.value.interfaces?.['eth0']?.ip, '10.0.2.1');
});
