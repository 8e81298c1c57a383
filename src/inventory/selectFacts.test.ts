/**
 * `fact.KEY=VALUE` selectors: the facts come from the caller's lookup (this layer reads no
 * files); a host without facts never matches a fact atom, and a group with one is evaluated
 * afresh on each call, since facts change between calls while the inventory does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from './parse.js';
import { select, type FactsLookup } from './select.js';
import { SelectorError } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';

const inventory = parseInventory([{ path: 'muster.yaml', text: `
states: [ok, stop]
skip_states: [stop]
roles: { web: {}, db: {} }
groups:
  bookworm: "fact.os.codename=bookworm"
  oldweb: "web&bookworm"
hosts:
  web[01-04]: { roles: [web] }
  db[1-2]: { roles: [db] }
  web05: { roles: [web], state: stop }
` }]);

const facts = new Map<string, Record<string, unknown>>([
  ['web01', { 'os.id': 'debian', 'os.codename': 'bookworm', 'cpus.count': 4, addresses: ['127.0.0.1/8', '10.0.0.1/24'] }],
  ['web02', { 'os.id': 'debian', 'os.codename': 'trixie', 'cpus.count': 8, addresses: ['10.0.0.2/24'] }],
  ['web03', { 'os.id': 'ubuntu', 'os.codename': 'noble', 'cpus.count': 4, addresses: [] }],
  ['db1', { 'os.id': 'debian', 'os.codename': 'bookworm', 'cpus.count': 16, 'os.version': null }],
  ['web05', { 'os.id': 'debian', 'os.codename': 'bookworm' }],
]);
const lookup: FactsLookup = (host) => facts.get(host.name);

function names(selectors: string[], options: { facts?: FactsLookup; allStates?: boolean } = { facts: lookup }): string {
  return foldNodeset(select(inventory, selectors, options).hosts.map((host) => host.name));
}

test('fact.KEY=VALUE matches the flattened facts; a host without facts (web04, db2) never does', () => {
  assert.equal(names(['fact.os.id=debian']), 'db1,web[01-02]');
  assert.equal(names(['fact.cpus.count=4']), 'web[01,03]');
  assert.equal(names(['fact.os.codename=b*']), 'db1,web01');
  // A list matches when any item does, as list vars do.
  assert.equal(names(['fact.addresses=10.0.0.*']), 'web[01-02]');
  // null matches the empty value; an unknown key matches nothing.
  assert.equal(names(['fact.os.version=']), 'db1');
  assert.equal(names(['fact.no.such=x']), '');
});

test('negation is the selector operator: !fact.… also picks the hosts without facts', () => {
  assert.equal(names(['web!fact.os.id=debian']), 'web[03-04]');
  assert.equal(names(['!fact.os.id=debian']), 'db2,web[03-04]');
  assert.equal(names(['web&fact.os.id=debian&fact.cpus.count=8']), 'web02');
});

test('skip states apply to fact selections as to vars ones', () => {
  assert.equal(names(['fact.os.codename=bookworm']), 'db1,web01');
  assert.equal(names(['fact.os.codename=bookworm'], { facts: lookup, allStates: true }), 'db1,web[01,05]');
});

test('without a lookup, fact atoms match no host (and the selector is still checked)', () => {
  assert.equal(names(['fact.os.id=debian'], {}), '');
  assert.throws(() => select(inventory, ['fact.=x'], { facts: lookup }), (error: unknown) => error instanceof SelectorError && /needs a key after "fact."/.test(error.message));
});

test('a group of fact atoms follows the facts from one call to the next', () => {
  assert.equal(names(['oldweb']), 'web01');
  assert.equal(names(['bookworm']), 'db1,web01');
  const moved: FactsLookup = (host) => (host.name === 'web02' ? { 'os.codename': 'bookworm' } : undefined);
  assert.equal(names(['oldweb'], { facts: moved }), 'web02');
  assert.equal(names(['bookworm'], { facts: moved }), 'web02');
});
