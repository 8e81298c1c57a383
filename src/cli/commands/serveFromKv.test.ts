/**
 * `muster serve --from-kv` against a real broker (the generated config, JetStream on) and the
 * bucket filled as `muster publish` fills it: two servers (one in this process, one the real
 * CLI) answer byte for byte what a server of the files answers, follow an edit (a blocking
 * query returns on it), refuse a version whose digest is not its records', and keep
 * answering, marked stale, with the broker gone, then follow it again once it is back.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fixturePath } from '../../bindings/fixture.test-helper.js';
import { makeCaTestState } from '../../broker/testState.test-helper.js';
import { versionKey } from '../../core/fleetKv.js';
import { loadInventory } from '../../inventory/load.js';
import { parseInventory } from '../../inventory/parse.js';
import { snapshotOf } from '../../inventory/snapshot.js';
import type { Inventory } from '../../inventory/types.js';
import { startServer, type MetadataServer } from '../../serve/index.js';
import { assertNoStack, musterBin, musterSync } from './cli.test-helper.js';
import { kvFleet, type KvFleet } from './kvFleet.test-helper.js';
import { bucketSourceOpener } from './serveFromKv.js';

// Helper 4's ports: the broker, the server in this process, the CLI's, the server of the files.
const brokerPort = 26410;
const ports = { a: 26420, b: 26421, files: 26422 };

const paths = [
  '/v1/hosts', '/v1/hosts/db1.example.lan', '/v1/hosts/odd-1.example.lan.sh', '/v1/hosts.sh', '/v1/roles', '/v1/roles/web?format=yaml',
  '/v1/groups/tokyo', '/v1/select?q=web%26dc=tk1', '/v1/sd/prometheus?sel=web&port=9100', '/web/http_port', '/v1/roles/web/hosts.sh',
];

async function get(port: number, path: string): Promise<{ status: number; index: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, index: response.headers.get('x-muster-index'), body: await response.text() };
}

async function status(port: number): Promise<Record<string, unknown> & { source: Record<string, unknown> }> {
  return JSON.parse((await get(port, '/v1/status')).body) as Record<string, unknown> & { source: Record<string, unknown> };
}

/** Polls until `check` holds (what a real client does too), failing with the last value seen. */
async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    let value: T | undefined;
    try {
      value = await read();
      if (check(value)) return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

/** The fixture with the web role's port changed: an edit of one role that every web host's record shows. */
function edited(port: number): Inventory {
  const text = readFileSync(fixturePath, 'utf8').replace('http_port: 80,', `http_port: ${port},`);
  return parseInventory([{ path: fixturePath, text }]);
}

describe('muster serve --from-kv', () => {
  let fleet: KvFleet;
  let inventory: Inventory;
  let a: MetadataServer | undefined;
  let files: MetadataServer | undefined;
  let cli: ChildProcess | undefined;

  before(async () => {
    fleet = await kvFleet([brokerPort]);
    inventory = await loadInventory({ path: fixturePath });
  });
  after(async () => {
    cli?.kill('SIGTERM');
    await a?.close();
    await files?.close();
    await fleet.close();
  });

  it('says in one line that the bucket does not exist, or that the broker refuses the certificate', async () => {
    const absent = musterSync(['serve', '--from-kv', '-i', fleet.brokerInventory, '--operator', 'alice', '--listen', String(ports.b)]);
    assert.equal(absent.code, 2, absent.stderr);
    assert.equal(absent.stderr, `muster: No bucket muster on the broker (${fleet.url}): nothing was published yet (muster publish makes it)\n`);
    // An operator of another CA: the broker's TLS refuses it; --broker needs no inventory.
    const stranger = await makeCaTestState({ operators: ['eve'] });
    try {
      const refused = musterSync(['serve', '--from-kv', '--broker', fleet.url, '--listen', String(ports.b)], { env: { ...process.env, MUSTER_INVENTORY: '', MUSTER_STATE: stranger.stateDir } });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /^muster: Cannot connect to the broker \(tls:\/\/127\.0\.0\.1:26410\) as operator eve: .*\n$/);
      assertNoStack(refused.stderr);
    } finally {
      stranger.remove();
    }
  });

  it('says in one line that a bucket without a published version gives nothing to serve', async () => {
    await fleet.bucket();
    const opening = startServer({ openSource: await bucketSourceOpener({ inventory: fleet.brokerInventory, operator: 'alice', firstWaitMs: 300 }), port: ports.a, accessLog: false });
    await assert.rejects(opening, { name: 'EnvironmentError', message: `bucket muster at ${fleet.url}: the bucket holds no published version yet (muster publish writes one) after 0.3 s; not serving` });
  });

  it('two servers answer what a server of the files answers, index = the revision', async () => {
    await fleet.publish(inventory, 1);
    a = await startServer({ openSource: await bucketSourceOpener({ inventory: fleet.brokerInventory, operator: 'alice' }), port: ports.a, accessLog: false });
    cli = spawn(process.execPath, [musterBin, 'serve', '--from-kv', '-q', '-i', fleet.brokerInventory, '--operator', 'alice', '--listen', String(ports.b)], { stdio: 'ignore', env: { ...process.env, MUSTER_INVENTORY: '' } });
    files = await startServer({ inventory: { path: fixturePath }, watch: false, port: ports.files, accessLog: false });
    await until('the CLI server up', () => get(ports.b, '/v1/health'), (health) => health.status === 200);
    for (const path of paths) {
      const [fromA, fromB, fromFiles] = await Promise.all([get(ports.a, path), get(ports.b, path), get(ports.files, path)]);
      assert.equal(fromA.status, 200, `${path}: ${fromA.body}`);
      assert.deepEqual(fromA, fromFiles, path);
      assert.deepEqual(fromB, fromA, path);
    }
    const said = await status(ports.b);
    assert.equal(said['status'], 'ok');
    assert.deepEqual({ ...said.source, published_at: null }, { kind: 'bucket', bucket: 'muster', where: `bucket muster at ${fleet.url}`, revision: 1, published_at: null, by: 'pub@test', in_sync: true, stale: false });
    assert.deepEqual(JSON.parse((await get(ports.a, '/v1/health')).body), { status: 'ok', index: 1, source: 'bucket', in_sync: true });
  });

  it('follows an edit on both, and a blocking query returns on it', async () => {
    const started = Date.now();
    const waits = [ports.a, ports.b].map((port) => get(port, '/web/http_port?index=1&wait=30s'));
    await new Promise((wait) => setTimeout(wait, 300));
    await fleet.publish(edited(8080), 2, snapshotOf(inventory));
    for (const answer of await Promise.all(waits)) assert.deepEqual(answer, { status: 200, index: '2', body: '8080\n' });
    assert.ok(Date.now() - started < 10_000, `the blocking queries took ${Date.now() - started} ms`);
    assert.deepEqual(await get(ports.b, '/v1/hosts/web002.example.lan/http_port'), { status: 200, index: '2', body: '8080\n' });
  });

  it('does not serve a version whose digest is not its records\'', async () => {
    const bucket = await fleet.bucket();
    const wrong = { revision: 3, digest: '0'.repeat(64), publishedAt: new Date().toISOString(), by: 'pub@test', hosts: 5 };
    await bucket.put('role.web', JSON.stringify({ ...edited(9090).roles.get('web') }));
    await bucket.put(versionKey, JSON.stringify(wrong));
    for (const port of [ports.a, ports.b]) {
      const said = await until('the refusal said', () => status(port), (value) => value.source['latest_revision'] === 3);
      assert.equal(said['status'], 'error');
      assert.equal(said.source['in_sync'], false);
      assert.match(String((said['last_reload'] as { error: string }).error), /^revision 3: the records held do not give its digest 000000000000…/);
      assert.deepEqual(await get(port, '/web/http_port'), { status: 200, index: '2', body: '8080\n' });
    }
    // A right publish after it is taken.
    await fleet.publish(edited(8181), 4, snapshotOf(edited(9090)));
    for (const port of [ports.a, ports.b]) await until('revision 4 served', () => get(port, '/web/http_port'), (answer) => answer.index === '4' && answer.body === '8181\n');
    assert.equal((await status(ports.a))['status'], 'ok');
  });

  it('keeps answering with the broker gone, says it is stale, and follows again once it is back', async () => {
    await fleet.down();
    for (const port of [ports.a, ports.b]) {
      const said = await until('stale said', () => status(port), (value) => value['status'] === 'stale');
      assert.equal(said.source['stale'], true);
      assert.equal(said.source['state'], 'link lost');
      assert.deepEqual(await get(port, '/web/http_port'), { status: 200, index: '4', body: '8181\n' });
      assert.deepEqual(JSON.parse((await get(port, '/v1/health')).body), { status: 'ok', index: 4, source: 'bucket', in_sync: false });
    }
    await fleet.up();
    await fleet.publish(edited(8282), 5, snapshotOf(edited(8181)));
    for (const port of [ports.a, ports.b]) {
      await until('revision 5 served', () => get(port, '/web/http_port'), (answer) => answer.index === '5' && answer.body === '8282\n', 30_000);
      assert.equal((await status(port))['status'], 'ok');
    }
  });

  it('stops on SIGTERM, exit 0', async () => {
    const child = cli;
    assert.ok(child);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
    cli = undefined;
  });
});
