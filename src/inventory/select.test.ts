import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from './parse.js';
import { select } from './select.js';
import { SelectorError } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';

const inventory = parseInventory([{ path: 'muster.yaml', text: `
states: [ok, warn, stop]
skip_states: [stop]
roles:
  web: { vars: { http_port: 80 } }
  db: {}
  mail: {}
groups:
  tokyo: "dc=tk1"
  front: "web!state:warn"
  named: "web004"
hosts:
  web[001-003]: { roles: [web], vars: { dc: tk1 } }
  web004: { roles: [web], state: stop, vars: { dc: tk1 } }
  web[005-006]: { roles: [web], vars: { dc: os1, tags: [blue, green] } }
  db1: { roles: [db], state: warn, vars: { dc: tk1, http_port: 8080 } }
  db2: { roles: [db, web], state: stop }
  mail: { roles: [mail] }
` }]);

function names(selectors: string[], allStates = false): string {
  return foldNodeset(select(inventory, selectors, { allStates }).hosts.map((host) => host.name));
}

test('bare words: role, else group, else host or nodeset of hosts', () => {
  assert.equal(names(['web']), 'web[001-003,005-006]');
  assert.equal(names(['tokyo']), 'db1,web[001-003]');
  assert.equal(names(['db1']), 'db1');
  assert.equal(names(['web[001-002]']), 'web[001-002]');
  // "mail" is both a role and a host: the role wins.
  assert.deepEqual(select(inventory, ['mail']).hosts.map((host) => host.name), ['mail']);
});

test('prefixed atoms, KEY=VALUE and all', () => {
  assert.equal(names(['role:db']), 'db1');
  assert.equal(names(['group:front']), 'web[001-003,005-006]');
  assert.equal(names(['state:stop']), 'db2,web004');
  assert.equal(names(['host:web00*']), 'web[001-003,005-006]');
  assert.equal(names(['host:db[1-2]']), 'db[1-2]');
  assert.equal(names(['http_port=8080']), 'db1');
  assert.equal(names(['dc=tk*']), 'db1,web[001-003]');
  assert.equal(names(['tags=green']), 'web[005-006]');
  assert.equal(names(['all']), 'db1,mail,web[001-003,005-006]');
  assert.equal(names(['nosuchvar=1']), '');
});

test('operators left to right, parentheses, several arguments are a union', () => {
  assert.equal(names(['web&dc=tk1!web[001-002]']), 'web003');
  assert.equal(names(['web,db&dc=tk1']), 'db1,web[001-003]');
  assert.equal(names(['web,(db&dc=tk1)']), 'db1,web[001-003,005-006]');
  assert.equal(names(['!web']), 'db1,mail');
  assert.equal(names(['web & dc=os1']), 'web[005-006]');
  assert.equal(names(['db1', 'mail']), 'db1,mail');
});

test('skip_states: dropped from broad selections and reported; kept when named', () => {
  const selection = select(inventory, ['web']);
  assert.deepEqual(selection.skipped.map((host) => host.name), ['web004', 'db2']);
  assert.equal(names(['web'], true), 'db2,web[001-006]');
  assert.equal(names(['web004']), 'web004');
  assert.equal(names(['web[003-004]']), 'web[003-004]');
  assert.equal(names(['named']), 'web004');
  assert.equal(select(inventory, ['web!web004']).skipped.map((host) => host.name).join(), 'db2');
  assert.deepEqual(select(inventory, ['web004']).skipped, []);
});

test('skip_states apply to the result, not to each operand: an exclusion removes a skipped host too', () => {
  // web004 (stop) named, then excluded by a var, a role or all: gone, as with --all-states.
  for (const selector of ['web004!dc=tk1', 'web004!web', 'web004!all']) {
    assert.equal(names([selector]), '', selector);
    assert.deepEqual(select(inventory, [selector]).skipped, [], selector);
  }
  assert.equal(names(['web[003-004]!state:stop']), 'web003');
  // Named and matching: kept, as a named host always is.
  assert.equal(names(['web004&dc=tk1']), 'web004');
  assert.deepEqual(select(inventory, ['web004&dc=tk1']).skipped, []);
  // --all-states never selects fewer hosts.
  for (const selector of ['web', 'web004!dc=tk1', 'all!db1', 'tokyo&web004', '!web', 'db2&web']) {
    const some = select(inventory, [selector]).hosts.length;
    assert.ok(select(inventory, [selector], { allStates: true }).hosts.length >= some, selector);
  }
});

test('output keeps inventory order', () => {
  assert.deepEqual(select(inventory, ['mail', 'db1', 'web001']).hosts.map((host) => host.name), ['web001', 'db1', 'mail']);
});

test('bad selectors: SelectorError with the offset of the offending character', () => {
  const cases: [string, number, RegExp][] = [
    ['nope', 0, /"nope" is not a role, group or host/],
    ['web&role:zz', 9, /no role named "zz" \(known: web, db, mail\)/],
    ['group:nope', 6, /no group named "nope"/],
    ['state:gone', 6, /no state named "gone"/],
    ['web&(db', 4, /unclosed "\("/],
    ['web)', 3, /unmatched "\)"/],
    ['web,,db', 4, /expected a role, group, host or KEY=VALUE before ","/],
    ['web&', 4, /at the end/],
    ['foo:bar', 0, /unknown prefix "foo:"/],
    ['=x', 0, /KEY=VALUE needs a key/],
    ['web db', 4, /unexpected "d"/],
    ['web[001-009]', 0, /no host named "web004"|no host named "web007"/],
    ['web[1-', 3, /bad nodeset: unclosed "\["/],
    ['role:', 5, /"role:" needs a name/],
  ];
  for (const [selector, offset, reason] of cases) {
    assert.throws(() => select(inventory, [selector]), (error: unknown) => {
      assert.ok(error instanceof SelectorError, `${selector}: ${String(error)}`);
      assert.equal(error.offset, offset, selector);
      assert.match(error.reason, reason, selector);
      assert.equal(error.message.split('\n')[2], `  ${' '.repeat(offset)}^`);
      return true;
    });
  }
});
