/**
 * The generated files: what they say, and that the real nats-server 2.9 accepts them
 * (`nats-server -t`, its config check).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activeCertificates, readIndex } from '../ca/records.js';
import { UsageError } from '../core/errors.js';
import type { Inventory } from '../inventory/types.js';
import { brokerUsers, grantSubjects, pinnedKeys, userFor } from './authorization.js';
import { brokerConfigs, parseServer } from './config.js';
import { makeCaTestState, type TestState } from './testState.test-helper.js';
import { testInventory } from './testInventory.test-helper.js';

function natsCheck(config: string): { status: number | null; output: string } {
  const ran = spawnSync('nats-server', ['-t', '-c', config], { encoding: 'utf8' });
  return { status: ran.status, output: `${ran.stdout}${ran.stderr}` };
}

describe('brokerConfigs', () => {
  let state: TestState;
  let inventory: Inventory;

  before(async () => {
    state = await makeCaTestState({ agents: ['web01', 'db01', 'gone01'], operators: ['alice', 'audit', 'mallory'] });
    inventory = await testInventory(state.stateDir, [24222, 24223, 24224]);
  });
  after(() => state.remove());

  it('gives each agent its host and role subjects, each operator its grants, and pins the key of every user', async () => {
    const records = activeCertificates(await readIndex(state.stateDir));
    const users = brokerUsers(inventory, records);
    // gone01 has a certificate but is no longer in the inventory: no user.
    assert.deepEqual(users.map((user) => user.user), [
      'CN=alice,OU=operator,O=muster', 'CN=audit,OU=operator,O=muster', 'CN=db01,OU=agent,O=muster',
      'CN=mallory,OU=operator,O=muster', 'CN=web01,OU=agent,O=muster',
    ]);
    const byName = new Map(users.map((user) => [user.name, user.permissions]));
    // Reading the inventory bucket: every user; writing: an agent its own facts, an operator granted inventory.publish every key.
    const kvRead = ['$JS.API.STREAM.INFO.KV_muster', '$JS.API.CONSUMER.CREATE.KV_muster.>', '$JS.API.CONSUMER.DELETE.KV_muster.>', '$JS.API.CONSUMER.INFO.KV_muster.>',
      '$JS.API.STREAM.MSG.GET.KV_muster', '$JS.API.DIRECT.GET.KV_muster.>', '$JS.FC.KV_muster.>'];
    assert.deepEqual(byName.get('web01'), {
      publish: { allow: [...kvRead, '$KV.muster.facts.web01'] },
      subscribe: { allow: ['muster.agent.web01.>', 'muster.role.web.>', 'muster.agentinbox.web01.>', '$KV.muster.*', '$KV.muster.host.>', '$KV.muster.role.>', '$KV.muster.group.>'] },
      allow_responses: { max: 1_000_000, expires: '24h' },
    });
    assert.deepEqual(byName.get('audit'), {
      publish: { allow: ['muster.agent.*.facts.*', 'muster.role.*.facts.*', 'muster.agent.*.file.stat', 'muster.role.*.file.stat', 'muster.agent.*.ping.*', 'muster.role.*.ping.*', ...kvRead] },
      subscribe: { allow: ['muster.inbox.audit.>', '$KV.muster.*', '$KV.muster.host.>', '$KV.muster.role.>', '$KV.muster.group.>'] },
    });
    assert.deepEqual(byName.get('mallory')?.publish, { allow: ['muster.agent.*.ping.*', 'muster.role.*.ping.*', ...kvRead] });
    assert.equal(pinnedKeys(records).length, 6);
    // gone01's key is not pinned in the file the broker reads: no user, no handshake either.
    const auth = brokerConfigs(inventory, state.stateDir, records).find((file) => file.path.endsWith('auth.conf'))?.content ?? '';
    for (const record of records) {
      if (record.name === 'gone01') assert.ok(!auth.includes(record.spki), 'gone01 is pinned');
      else assert.ok(auth.includes(record.spki), `${record.name} is not pinned`);
    }
    assert.match(pinnedKeys(records)[0] ?? '', /^[0-9a-f]{64}$/);
  });

  it('spells names as one subject token and escapes them in the DN', () => {
    assert.deepEqual(grantSubjects('*'), ['muster.agent.>', 'muster.role.>']);
    assert.deepEqual(grantSubjects('command.run'), [
      'muster.agent.*.command.run', 'muster.role.*.command.run', 'muster.agent.*.command.stdin',
      'muster.role.*.command.stdin', 'muster.agent.*.command.cancel', 'muster.role.*.command.cancel',
      'muster.agent.*.command.alive', 'muster.role.*.command.alive',
    ]);
    assert.equal(userFor('agent', 'a,b+c'), 'CN=a\\,b\\+c,OU=agent,O=muster');
  });

  it('writes a single node that nats-server accepts', async () => {
    const files = brokerConfigs(inventory, state.stateDir, activeCertificates(await readIndex(state.stateDir)));
    assert.deepEqual(files.map((file) => file.path.slice(state.stateDir.length)), ['/broker/node-1.conf', '/broker/auth.conf']);
    const [node, auth] = files.map((file) => file.content);
    assert.match(node ?? '', /^listen: "127\.0\.0\.1:24222"$/m);
    assert.match(node ?? '', /^http: "127\.0\.0\.1:28222"$/m);
    assert.match(node ?? '', /^server_name: "muster-1"$/m);
    assert.doesNotMatch(node ?? '', /cluster/);
    assert.match(auth ?? '', /verify_and_map: true/);
    for (const file of files) {
      mkdirSync(dirname(file.path), { recursive: true });
      writeFileSync(file.path, file.content);
    }
    const checked = natsCheck(files[0]?.path ?? '');
    assert.equal(checked.status, 0, checked.output);
    // The check is a real one: a broken auth.conf fails it.
    writeFileSync(files[1]?.path ?? '', `${auth ?? ''}\nauthorization { users = [ { user: 1, permissions: { publish: 7 } } ] }\n`);
    assert.notEqual(natsCheck(files[0]?.path ?? '').status, 0);
  });

  it('writes three clustered nodes that nats-server accepts, routes between them', async () => {
    const files = brokerConfigs(inventory, state.stateDir, activeCertificates(await readIndex(state.stateDir)), { cluster: 3 });
    assert.equal(files.length, 4);
    for (const file of files) writeFileSync(file.path, file.content);
    for (const file of files.slice(0, 3)) {
      const checked = natsCheck(file.path);
      assert.equal(checked.status, 0, `${file.path}: ${checked.output}`);
    }
    const third = files[2]?.content ?? '';
    assert.match(third, /listen: "127\.0\.0\.1:26224"/);
    assert.match(third, /routes: \["tls:\/\/127\.0\.0\.1:26222", "tls:\/\/127\.0\.0\.1:26223"\]/);
    assert.match(third, /authorization \{ user: "CN=broker,OU=broker,O=muster" \}/);
  });

  it('refuses a cluster larger than agents.servers, and a bad address', () => {
    assert.throws(() => brokerConfigs(inventory, state.stateDir, [], { cluster: 4 }),
      (error: unknown) => error instanceof UsageError && /A cluster of 4 needs 4 addresses in the inventory's agents\.servers; it lists 3/.test(error.message));
    assert.throws(() => brokerConfigs(inventory, state.stateDir, [], { cluster: 0 }), UsageError);
    assert.throws(() => parseServer('tls://host:64000'), /client port must be 1 to 61535/);
    assert.deepEqual(parseServer('tls://[::1]:4222'), { host: '[::1]', port: 4222 });
  });
});
