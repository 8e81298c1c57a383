/**
 * The bucket's subjects per identity (keyValueSubjects): the refusals themselves are shown
 * on a real broker by agent/copyKeeper.test.ts and ops/publish.test.ts.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { keyValueSubjects } from './authorization.js';

it('lets only a publisher create the bucket (and ask the account info nats.js asks first) and write records', () => {
  const publisher = keyValueSubjects('operator', 'carol', ['inventory.publish']).publish;
  const reader = keyValueSubjects('operator', 'alice', ['command', 'facts']).publish;
  for (const subject of ['$JS.API.INFO', '$JS.API.STREAM.CREATE.KV_muster', '$KV.muster.>']) {
    assert.ok(publisher.includes(subject), subject);
    assert.ok(!reader.includes(subject), subject);
  }
  assert.ok(keyValueSubjects('operator', 'root', ['*']).publish.includes('$JS.API.INFO'));
  const agent = keyValueSubjects('agent', 'web01');
  assert.ok(!agent.publish.includes('$JS.API.INFO'));
  assert.deepEqual(agent.publish.filter((subject) => subject.startsWith('$KV.')), ['$KV.muster.facts.web01']);
  // The inventory's keys as they are published (agent/bucketFollow.ts), never the facts or joins of other hosts.
  assert.deepEqual(agent.subscribe, ['muster.agentinbox.web01.>', '$KV.muster.*', '$KV.muster.host.>', '$KV.muster.role.>', '$KV.muster.group.>']);
});
