import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoles, planHosts } from './plan.js';
import { describeRoles, shapeDifferences } from './shape.js';
import type { LabState } from './state.js';

function state(count: number, roles: string, prefix = 'lab', brokers?: number): LabState {
  const shares = parseRoles(roles);
  return {
    name: 't', prefix, count, roles: shares, net: 140, createdAt: '', hosts: planHosts({ prefix, count, roles: shares, net: 140 }),
    ...(brokers === undefined ? {} : { agents: { servers: Array.from({ length: brokers }, (_, index) => `tls://127.140.255.${251 + index}:10000`) } }),
  };
}

test('the same hosts with the same roles are the same shape, however the roles were written', () => {
  assert.deepEqual(shapeDifferences(state(4, 'web,db'), { count: 4, prefix: 'lab', roles: parseRoles('web:2,db:2'), brokers: undefined }), []);
  assert.deepEqual(shapeDifferences(state(3, '', 'lab', 1), { count: 3, prefix: 'lab', roles: [], brokers: 1 }), []);
});

test('each difference is named, with what was asked', () => {
  assert.deepEqual(shapeDifferences(state(40, 'web:20,db:20'), { count: 40, prefix: 'lab', roles: [], brokers: undefined }), ['roles web:20,db:20 (asked: no roles)']);
  assert.deepEqual(shapeDifferences(state(3, '', 'lab', 2), { count: 5, prefix: 'ux', roles: [], brokers: undefined }), [
    '3 hosts (asked: 5)', 'prefix lab (asked: ux)', 'agents with 2 brokers (asked: no agents)',
  ]);
  assert.equal(describeRoles(state(5, 'web:2,db:1').hosts), 'web:2,db:1');
});
