/**
 * `muster facts` and `muster reconcile` reading the agents' facts from the KV bucket, on a
 * real nats-server started by `brokerUp` with the production authorization and real
 * certificates: an operator granted `*` creates the bucket `muster`; each agent puts its own
 * `facts.<host>` record (`facts.get`'s shape plus `seenAt`) over its own connection, as the
 * agents do; the CLI reads them as an operator with no more than the facts grant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { brokerDown, brokerUp } from '../../broker/process.js';
import { makeCaTestState, type TestState } from '../../broker/testState.test-helper.js';
import { factsKey, kvBucket } from '../../core/fleetKv.js';
import { agentInboxPrefix, inboxPrefix } from '../../core/subjects.js';
import { loadInventory } from '../../inventory/load.js';
import { assertNoStack, assertUsageFailure, muster as runMuster, type Ran } from './cli.test-helper.js';

/** A client port of this helper's range (26300-26399) whose cluster (+2000) and monitor (+4000) ports are free too. */
async function freePort(): Promise<number> {
  const free = (port: number) => new Promise<boolean>((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
  for (let port = 26300 + Math.floor(Math.random() * 50); port < 26400; port += 1) {
    if ((await Promise.all([port, port + 2000, port + 4000].map(free))).every(Boolean)) return port;
  }
  throw new Error('no free port in 26300-26399');
}

function factsOf(host: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname: host,
    os: { id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' },
    kernel: { release: '6.1.0-18-amd64', version: '#1 SMP', arch: 'x86_64' },
    cpus: { count: 4, model: 'AMD EPYC' },
    memory: { total: 8 * 1024 ** 3, free: 1024 ** 3, available: 4 * 1024 ** 3 },
    disks: [{ mount: '/', device: '/dev/vda1', type: 'ext4', size: 20 * 1024 ** 3, used: 5 * 1024 ** 3, free: 15 * 1024 ** 3 }],
    addresses: [{ interface: 'eth0', family: 'inet', address: `10.0.0.${host.at(-1)}`, cidr: `10.0.0.${host.at(-1)}/24`, mac: '02:00:00:00:00:01' }],
    uptime: 3600,
    ...overrides,
  };
}

describe('muster facts and reconcile from the agents\' KV bucket (real broker, real certificates)', () => {
  let state: TestState;
  let inventoryPath: string;
  let url: string;
  const muster = (args: string[]): Promise<Ran> => runMuster(['-i', inventoryPath, ...args], { env: { ...process.env, MUSTER_STATE: state.stateDir, MUSTER_OPERATOR: 'reader', MUSTER_INVENTORY: '', NO_COLOR: '1' } });

  /** Puts `value` under `key` as `name` would: its own certificate, its own inbox prefix. */
  async function putAs(name: string, key: string, value: unknown, inbox: string): Promise<void> {
    const nc = await connect({ servers: url, tls: state.files(name), inboxPrefix: inbox, reconnect: false });
    try {
      const kv = await new Kvm(nc).open(kvBucket);
      await kv.put(key, JSON.stringify(value));
    } finally {
      await nc.close();
    }
  }

  before(async () => {
    // Not /tmp: the broker's store and the certificates stay with this checkout's test files.
    const dir = mkdtempSync(join(fileURLToPath(new URL('../../../', import.meta.url)), '.test-factsbucket-'));
    state = await makeCaTestState({ agents: ['web1', 'web2', 'db3'], operators: ['admin', 'reader'] }, dir);
    const port = await freePort();
    inventoryPath = join(state.stateDir, 'muster.yaml');
    writeFileSync(inventoryPath, [
      'version: 1',
      'states: [ok, stop]',
      'skip_states: [stop]',
      'roles: { web: {}, db: {} }',
      'hosts:',
      '  web1: { roles: [web], address: 10.0.0.1 }',
      '  web2: { roles: [web], address: 10.0.0.9 }',
      '  db3: { roles: [db], address: 10.0.0.3, state: stop }',
      '  db4: { roles: [db], address: 10.0.0.4 }',
      'agents:',
      `  servers: [tls://127.0.0.1:${port}]`,
      '  operators: { admin: [publisher], reader: [readers] }',
      '  permissions: { publisher: ["*"], readers: [facts] }',
      '',
    ].join('\n'));
    const [node] = await brokerUp(await loadInventory({ path: inventoryPath }), state.stateDir);
    assert.equal(node?.action, 'started');
    url = node.url;
  });
  after(async () => {
    await brokerDown(state.stateDir);
    state.remove();
  });

  it('a bucket that does not exist yet is one clear line, exit 2', async () => {
    assertUsageFailure(await muster(['facts']), /^muster: .*no KV bucket "muster"/m);
  });

  it('reads the agents\' records, folds them, says the host without one, and keeps them for fact. selectors', async () => {
    const admin = await connect({ servers: url, tls: state.files('admin'), inboxPrefix: inboxPrefix('admin'), reconnect: false });
    // checkAPI false: Kvm.create otherwise asks $JS.API.INFO first, which no operator is granted.
    await new Kvm(jetstream(admin, { checkAPI: false })).create(kvBucket, { history: 1 });
    await admin.close();
    const now = new Date().toISOString();
    await putAs('web1', factsKey('web1'), { ...factsOf('web1'), seenAt: now }, agentInboxPrefix('web1'));
    await putAs('web2', factsKey('web2'), { ...factsOf('web2', { os: { id: 'debian', version: '13', name: 'Debian GNU/Linux 13 (trixie)', codename: 'trixie' } }), seenAt: now }, agentInboxPrefix('web2'));
    // A stopped host whose agent still publishes; db4 never published.
    await putAs('db3', factsKey('db3'), { ...factsOf('db3'), seenAt: now }, agentInboxPrefix('db3'));
    // The broker keeps an agent to its own key.
    let forgedError = '';
    await assert.rejects(putAs('web1', factsKey('web2'), { hostname: 'forged' }, agentInboxPrefix('web1')), (error: unknown) => { forgedError = String(error); return true; });
    assert.match(forgedError, /Permissions Violation|permission/i);

    const ran = await muster(['facts', '--all-states']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^os\.id +debian +db3,web\[1-2\] \(3\)$/m);
    assert.match(ran.stdout, /^os\.codename +bookworm +db3,web1 \(2\)$/m);
    assert.match(ran.stdout, /^ +trixie +web2 \(1\)$/m);
    assert.match(ran.stdout, /^memory\.total +8\.0 GiB +db3,web\[1-2\] \(3\)$/m);
    assert.match(ran.stdout, /^disks\.\/\.size +20\.0 GiB +db3,web\[1-2\] \(3\)$/m);
    assert.match(ran.stdout, /^db4 \(1\) skipped: no facts in the bucket/m);
    assert.match(ran.stderr, /4 hosts: 3 ok, 1 skipped/);

    const json = await muster(['facts', 'web2', '--json']);
    const [record] = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host: string; via: string; seenAt: string; facts: { hostname: string } });
    assert.deepEqual([record?.host, record?.via, record?.seenAt, record?.facts.hostname], ['web2', 'bucket', now, 'web2']);

    const trixie = await muster(['ls', 'fact.os.codename=trixie', '-o', 'names']);
    assert.equal(trixie.stdout, 'web2\n', trixie.stderr);
    assert.match(trixie.stderr, /1 host has no stored facts \(db4\)/);
  });

  it('reconcile from the bucket: an address not on the host, a stopped host that publishes, a host never seen', async () => {
    const ran = await muster(['reconcile']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^web1 \(1\) +agree with the inventory$/m);
    assert.match(ran.stdout, /^web2 \(1\) +address: its address 10\.0\.0\.9 is not on the host \(it has 10\.0\.0\.2\)$/m);
    assert.match(ran.stdout, /^db3 \(1\) +answers: state stop, but it answers \(seen \d+s ago\)$/m);
    assert.match(ran.stdout, /^db4 \(1\) +unseen: state ok, but its agent has published no facts$/m);
    assertNoStack(ran.stderr);
    // Published an hour ago: not seen within --max-unseen 15m.
    await putAs('web1', factsKey('web1'), { ...factsOf('web1'), seenAt: new Date(Date.now() - 3600_000).toISOString() }, agentInboxPrefix('web1'));
    const old = await muster(['facts', 'web']);
    assert.match(old.stderr, /^muster: the facts of 1 host are older than 15m \(web1\): its agent has not published since/m);
    const late = await muster(['reconcile', 'web1']);
    assert.equal(late.code, 1);
    assert.match(late.stdout, /^web1 \(1\) +unseen: state ok, but not seen for 1h00m \(more than 15m\)$/m);
    assert.equal((await muster(['reconcile', 'web1', '--max-unseen', '2h'])).code, 0);
  });
});
