import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { countFromRoles, hostAddress, hostName, parseRoles, planHosts } from './plan.js';

test('parseRoles reads plain roles and counted roles, and refuses nonsense', () => {
  assert.deepEqual(parseRoles('web, db,cache'), [{ role: 'web' }, { role: 'db' }, { role: 'cache' }]);
  assert.deepEqual(parseRoles('web:10,db:5'), [{ role: 'web', count: 10 }, { role: 'db', count: 5 }]);
  assert.deepEqual(parseRoles(''), []);
  assert.throws(() => parseRoles('Web'), UsageError);
  assert.throws(() => parseRoles('web:x'), UsageError);
  assert.throws(() => parseRoles('web,web'), /named twice/);
});

test('countFromRoles sums counts only when every role has one', () => {
  assert.equal(countFromRoles(parseRoles('web:10,db:5')), 15);
  assert.equal(countFromRoles(parseRoles('web:10,db')), undefined);
  assert.equal(countFromRoles([]), undefined);
});

test('names are zero-padded to the width of the count, at least two digits', () => {
  assert.equal(hostName('lab', 9, 0), 'lab01');
  assert.equal(hostName('lab', 100, 6), 'lab007');
  assert.equal(hostName('web', 1000, 999), 'web1000');
});

test('addresses fill 127.NET.X.1-254 then move to the next /24', () => {
  assert.equal(hostAddress(150, 0), '127.150.0.1');
  assert.equal(hostAddress(150, 253), '127.150.0.254');
  assert.equal(hostAddress(150, 254), '127.150.1.1');
});

test('plain roles split evenly in contiguous blocks, earlier roles taking the extra host', () => {
  const hosts = planHosts({ prefix: 'lab', count: 8, roles: parseRoles('web,db,cache'), net: 120 });
  assert.deepEqual(hosts.map((host) => host.roles[0]), ['web', 'web', 'web', 'db', 'db', 'db', 'cache', 'cache']);
});

test('counted roles get exactly their counts; hosts beyond the sum get no role; uncounted share the rest', () => {
  const counted = planHosts({ prefix: 'lab', count: 6, roles: parseRoles('web:3,db:1'), net: 120 });
  assert.deepEqual(counted.map((host) => host.roles), [['web'], ['web'], ['web'], ['db'], [], []]);
  const mixed = planHosts({ prefix: 'lab', count: 7, roles: parseRoles('web,db:3,cache'), net: 120 });
  assert.deepEqual(mixed.map((host) => host.roles[0]), ['web', 'web', 'db', 'db', 'db', 'cache', 'cache']);
  assert.throws(() => planHosts({ prefix: 'lab', count: 3, roles: parseRoles('web:2,db:2'), net: 120 }), /asks for 4 hosts but the lab has 3/);
});

test('each role block is cut in two dc halves, the first half larger', () => {
  const hosts = planHosts({ prefix: 'lab', count: 5, roles: parseRoles('web:3,db:2'), net: 120 });
  assert.deepEqual(hosts.map((host) => `${host.roles[0]}/${host.vars.dc}`), ['web/dc1', 'web/dc1', 'web/dc2', 'db/dc1', 'db/dc2']);
  const plain = planHosts({ prefix: 'lab', count: 3, roles: [], net: 120 });
  assert.deepEqual(plain.map((host) => host.vars.dc), ['dc1', 'dc1', 'dc2']);
});
