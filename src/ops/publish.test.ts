/**
 * `muster publish` against a real nats-server (brokerUp: the generated config, JetStream on,
 * real certificates): what it writes, what it leaves alone, who may, two at once, faults.
 */
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kvm, type KV } from '@nats-io/kv';
import { copyFixture, type CopyFixture } from '../agent/copyFixture.test-helper.js';
import { assertNoStack, muster } from '../cli/commands/cli.test-helper.js';
import { kvBucket, versionKey, type PublishedVersion } from '../core/fleetKv.js';
import { loadInventory } from '../inventory/load.js';
import { isSnapshotKey, recordDigest, snapshotOf } from '../inventory/snapshot.js';
import { snapshotDigest } from '../inventory/snapshotDigest.js';
import { publishSnapshot } from './publish.js';
import { openBucket, readBucket } from './publishBucket.js';

/** Every key's revision and the version, read as the operator. */
async function bucketState(kv: KV): Promise<{ revisions: Map<string, number>; version: PublishedVersion; digest: string }> {
  const held = await readBucket(kv, 'carol');
  const digests = new Map([...held].filter(([key]) => isSnapshotKey(key)).map(([key, value]) => [key, recordDigest(value.text)]));
  const version = JSON.parse(held.get(versionKey)?.text ?? '{}') as PublishedVersion;
  return { revisions: new Map([...held].map(([key, value]) => [key, value.revision])), version, digest: snapshotDigest(digests) };
}

describe('muster publish', () => {
  let fx: CopyFixture;
  let kv: KV;
  before(async () => {
    fx = await copyFixture(26101);
    kv = await new Kvm(await fx.as('carol')).open(kvBucket);
  });
  after(async () => {
    await fx.remove();
  });

  it('refuses an operator not granted inventory.publish, in one line, before and at the broker', async () => {
    const ran = await muster(['publish', '--operator', 'alice'], { env: fx.env });
    assert.equal(ran.code, 2, ran.stderr);
    assert.equal(ran.stderr, 'muster: operator alice may not publish the inventory: grant it inventory.publish under agents.permissions (then muster broker up to reload)\n');
    // The broker says the same when asked anyway (a config not reloaded, a client that skips the check).
    const alice = await fx.as('alice');
    await assert.rejects(openBucket(alice, 1, 'alice'), /^PublishError: operator alice may not publish the inventory/);
  });

  it('publishes every record once, then nothing while nothing changed', async () => {
    const first = await muster(['publish'], { env: fx.env });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'published revision 1: 3 hosts changed (db01,web[01-02]), 2 roles, 0 groups, meta; 3 hosts\n');
    const state = await bucketState(kv);
    assert.equal(state.version.revision, 1);
    assert.equal(state.version.digest, state.digest, 'the version covers exactly the records in the bucket');
    assert.equal(state.version.publishing, undefined);
    const again = await muster(['publish', '--json'], { env: fx.env });
    assert.equal(again.code, 0, again.stderr);
    const record = JSON.parse(again.stdout) as { type: string; published: boolean; revision: number };
    assert.deepEqual([record.type, record.published, record.revision], ['publish', false, 1]);
    const unchanged = await bucketState(kv);
    assert.deepEqual(unchanged.revisions, state.revisions, 'nothing was written');
  });

  it('writes only the edited host (and the version), and deletes a removed host', async () => {
    const before = await bucketState(kv);
    const set = await muster(['set', 'web01', 'vars.http_port=8080'], { env: fx.env });
    assert.equal(set.code, 0, set.stderr);
    const ran = await muster(['publish'], { env: fx.env });
    assert.equal(ran.stdout, `published revision ${before.version.revision + 1}: 1 host changed (web01), 0 roles, 0 groups; 3 hosts\n`, ran.stderr);
    const after = await bucketState(kv);
    const moved = [...after.revisions].filter(([key, revision]) => before.revisions.get(key) !== revision).map(([key]) => key).sort();
    assert.deepEqual(moved, ['host.web01', 'version']);
    assert.equal(after.version.digest, after.digest);

    const yaml = (await import('node:fs')).readFileSync(fx.inventoryPath, 'utf8');
    writeFileSync(fx.inventoryPath, yaml.replace('  db01: { roles: [db] }\n', '').replace('web: {}, db: {}', 'web: {}'));
    const removed = await muster(['publish'], { env: fx.env });
    assert.match(removed.stdout, /^published revision \d+: 0 hosts changed, 0 roles, 0 groups, 1 host removed \(db01\), 1 role removed \(db\), meta; 2 hosts\n$/, removed.stderr);
    const gone = await bucketState(kv);
    assert.ok(!gone.revisions.has('host.db01'));
    assert.equal(gone.version.digest, gone.digest);
    writeFileSync(fx.inventoryPath, yaml);
  });

  it('two publishes at once: one refuses naming who holds the bucket, or both succeed in turn; the bucket stays consistent', async () => {
    const inventory = await loadInventory({ path: fx.inventoryPath });
    const other = structuredClone(snapshotOf(inventory));
    const web02 = other.get('host.web02') as { vars: Record<string, unknown> };
    web02.vars = { ...web02.vars, concurrent: true };
    const kv2 = await new Kvm(await fx.as('carol')).open(kvBucket);
    const results = await Promise.allSettled([
      publishSnapshot(kv, snapshotOf(inventory), { by: 'one@test', operator: 'carol' }),
      publishSnapshot(kv2, other, { by: 'two@test', operator: 'carol' }),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') assert.match(String(result.reason), /another publish (is running: (one|two)@test since|changed the bucket)/);
    }
    assert.ok(results.some((result) => result.status === 'fulfilled'));
    const state = await bucketState(kv);
    assert.equal(state.version.digest, state.digest, 'the version covers exactly the records in the bucket');
    assert.equal(state.version.publishing, undefined);
  });

  it('refuses while a fresh mark is held, takes over a dead publisher\'s stale one', async () => {
    const entry = await kv.get(versionKey);
    if (!entry) assert.fail('no version');
    const version = entry.json<PublishedVersion>();
    const markedAt = await kv.update(versionKey, JSON.stringify({ ...version, publishing: { by: 'bob@elsewhere', since: new Date().toISOString() } }), entry.revision);
    const busy = await muster(['publish'], { env: fx.env });
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /^muster: another publish is running: bob@elsewhere since \S+ \(\d+ s ago\); try again when it is done \(a mark older than 60 s is taken over\)\n$/);
    const since = new Date(Date.now() - 120_000).toISOString();
    await kv.update(versionKey, JSON.stringify({ ...version, publishing: { by: 'bob@elsewhere', since } }), markedAt);
    appendFileSync(fx.inventoryPath, '# a comment changes no record\n');
    const taken = await muster(['publish'], { env: fx.env });
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(taken.stdout, new RegExp(`; 3 hosts \\(took over the stale mark of bob@elsewhere since ${since.replace(/\./g, '\\.')}\\)\\n$`));
    const state = await bucketState(kv);
    assert.equal(state.version.publishing, undefined);
    assert.equal(state.version.revision, version.revision + 1);
  });

  it('says a broker that is down and an inventory without agents.servers in one line', async () => {
    await fx.down();
    try {
      const down = await muster(['publish'], { env: fx.env });
      assert.equal(down.code, 2);
      assertNoStack(down.stderr);
      assert.match(down.stderr, /^muster: Cannot connect to the broker \(tls:\/\/127\.0\.0\.1:26101\) as operator carol: connection refused \(is the broker running\? muster broker status\)\n$/);
    } finally {
      await fx.up();
    }
    const bare = join(fx.state.stateDir, 'bare.yaml');
    writeFileSync(bare, 'hosts: { h1: {} }\n');
    const none = await muster(['publish', '-i', bare], { env: fx.env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^muster: muster publish needs the broker: the inventory has no agents\.servers/);
    assertNoStack(none.stderr);
  });
});

describe('muster publish on a broker without JetStream', () => {
  it('says the bucket is unreachable in one line', async () => {
    const { startTestBroker } = await import('../transport/nats/testBroker.test-helper.js');
    const { connect } = await import('@nats-io/transport-node');
    const broker = await startTestBroker([{ name: 'carol', kind: 'operator' }]);
    try {
      const files = broker.files('carol');
      const nc = await connect({ servers: broker.url, tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca } });
      try {
        await assert.rejects(openBucket(nc, 1, 'carol'), (error: Error) => {
          assert.equal(error.name, 'PublishError');
          assert.match(error.message, /^the inventory bucket muster is unreachable: the broker answers no JetStream request \(is JetStream enabled\?/);
          assert.ok(!error.message.includes('\n'));
          return true;
        });
      } finally {
        await nc.close();
      }
    } finally {
      await broker.stop();
    }
  });
});
