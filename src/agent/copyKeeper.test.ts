/**
 * The agents' local copy and facts on a real broker (brokerUp: JetStream, generated
 * permissions) with real agents: what a host sources is what `muster export` prints, every
 * copy follows an edit, a half-written bucket is never copied, a restarted broker is
 * followed, a host with the brokers down keeps its copy, and an agent writes only its facts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { musterBin, musterSync } from '../cli/commands/cli.test-helper.js';
import { factsKey, kvBucket, versionKey, type PublishedVersion } from '../core/fleetKv.js';
import { agentInboxPrefix } from '../core/subjects.js';
import { keepCopy } from './copyKeeper.js';
import { cutProxy } from './cutProxy.test-helper.js';
import { copyFixture, fleetHosts, type CopyFixture } from './copyFixture.test-helper.js';
import { startAgent, type AgentDaemon } from './daemon.js';

/** The MUSTER_ variables a shell has after evaluating `script` (the `set` output, sorted). */
function shellVars(script: string): string {
  const ran = spawnSync('sh', ['-c', `${script}\nset`], { encoding: 'utf8' });
  assert.equal(ran.status, 0, ran.stderr);
  return ran.stdout.split('\n').filter((line) => line.startsWith('MUSTER_')).sort().join('\n');
}

/** Resolves with `promise`, or fails after `ms` saying `what`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_done, fail) => { timer = setTimeout(() => fail(new Error(`timed out: ${what}`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the agents\' local copy', () => {
  let fx: CopyFixture;
  let kv: KV;
  const lines: string[] = [];
  let agents: AgentDaemon[] = [];

  const publish = async (): Promise<PublishedVersion> => {
    const ran = musterSync(['publish'], { env: fx.env });
    assert.equal(ran.code, 0, ran.stderr);
    const entry = await kv.get(versionKey);
    return entry?.json<PublishedVersion>() ?? assert.fail('no version after publish');
  };
  const everyCopy = (version: PublishedVersion): Promise<void[]> =>
    within(Promise.all(agents.map((agent) => agent.copy.reached(version))), 15_000, `every copy at revision ${version.revision}`);
  const file = (host: string, name: string): string => readFileSync(join(fx.copyDir(host), name), 'utf8');

  before(async () => {
    fx = await copyFixture(26102);
    agents = await Promise.all(fleetHosts.map((host) => startAgent({
      dir: fx.agentDir(host), log: (line) => void lines.push(`${host} ${line}`), handleSignals: false, graceMs: 500, copyRetryMs: 200,
    })));
    kv = await new Kvm(await fx.as('carol')).open(kvBucket);
  });
  after(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await fx.remove();
  });

  it('waits quietly for a bucket, then writes a copy that sources to what muster export prints', async () => {
    await new Promise((wait) => setTimeout(wait, 500));
    const version = await publish();
    await everyCopy(version);
    for (const host of fleetHosts) {
      assert.equal(lines.filter((line) => line.startsWith(`${host} no inventory bucket muster on the broker yet`)).length, 1, lines.join('\n'));
    }
    const exported = musterSync(['export', '--format', 'sh'], { env: fx.env });
    assert.equal(exported.code, 0, exported.stderr);
    const exportFile = join(fx.state.stateDir, 'export.sh');
    writeFileSync(exportFile, exported.stdout);
    const expected = shellVars(`. '${exportFile}'`);
    assert.match(expected, /^MUSTER_HOSTS='web01 web02 db01'$/m);
    for (const host of fleetHosts) {
      assert.equal(shellVars(`. '${join(fx.copyDir(host), 'muster.sh')}'`), expected, `${host}'s muster.sh`);
      assert.equal((statSync(join(fx.copyDir(host), 'inventory.json')).mode & 0o777), 0o644);
      const own = JSON.parse(file(host, 'host.json')) as { muster: { revision: number; digest: string }; host: { name: string } };
      assert.deepEqual([own.muster.revision, own.muster.digest, own.host.name], [version.revision, version.digest, host]);
    }
  });

  it('follows a one-host edit on every host, across a broker restart', async () => {
    await fx.down();
    await fx.up();
    // The test's own connection may still be reconnecting: read the version on a new one.
    kv = await new Kvm(await fx.as('carol')).open(kvBucket);
    const set = musterSync(['set', 'web01', 'vars.http_port=8080'], { env: fx.env });
    assert.equal(set.code, 0, set.stderr);
    const version = await publish();
    await everyCopy(version);
    for (const host of fleetHosts) assert.match(file(host, 'muster.sh'), /^MUSTER_HOST_web01_VAR_http_port=8080$/m);
    const web01 = JSON.parse(file('web01', 'host.json')) as { host: { vars: Record<string, unknown> } };
    assert.equal(web01.host.vars['http_port'], 8080);
  });

  it('never copies records that do not give the version\'s digest (a publish half-written)', async () => {
    const before = file('web02', 'inventory.json');
    const record = (await kv.get('host.web02'))?.json<Record<string, unknown>>() ?? assert.fail('no web02 record');
    await kv.put('host.web02', JSON.stringify({ ...record, note: 'half of a publish' }));
    await new Promise((wait) => setTimeout(wait, 1000));
    for (const host of fleetHosts) assert.doesNotMatch(file(host, 'inventory.json'), /half of a publish/);
    assert.equal(file('web02', 'inventory.json'), before);
    // The next publish puts the record back as the inventory says it, and every copy follows.
    const version = await publish();
    await everyCopy(version);
    assert.equal(JSON.parse(file('web02', 'inventory.json')).muster.revision, version.revision);
  });

  it('a copy that lost a publish while its connection was down reads the bucket again once back', async () => {
    const proxy = await cutProxy(fx.port);
    const nc = await connect({ servers: proxy.url, tls: fx.state.files('web01'), inboxPrefix: agentInboxPrefix('web01'), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const said: string[] = [];
    const keeper = keepCopy({ nc, host: 'web01', dir: join(fx.state.stateDir, 'cut-copy'), retryMs: 200, log: (line) => void said.push(line) });
    try {
      const entry = await kv.get(versionKey);
      await within(keeper.reached(entry?.json<PublishedVersion>() ?? assert.fail('no version')), 15_000, 'the copy through the relay');
      // The whole publish (its records and its version) is lost on the way to this keeper.
      proxy.hold();
      const set = musterSync(['set', 'web02', 'vars.cut=1'], { env: fx.env });
      assert.equal(set.code, 0, set.stderr);
      const version = await publish();
      proxy.cut();
      await within(keeper.reached(version), 15_000, `the copy at revision ${version.revision} after the cut; keeper said: ${said.join(' | ')}`);
      assert.match(readFileSync(join(fx.state.stateDir, 'cut-copy', 'muster.sh'), 'utf8'), /^MUSTER_HOST_web02_VAR_cut=1$/m);
      assert.ok(said.some((line) => /do not give its digest \(a change lost\): reading the bucket again/.test(line)), said.join('\n'));
    } finally {
      await keeper.stop();
      await nc.close();
      await proxy.close();
    }
  });

  it('publishes each agent\'s facts; an agent may not write another host\'s facts or a record', async () => {
    const facts = await within((async () => {
      for (;;) {
        const entry = await kv.get(factsKey('web01'));
        if (entry?.operation === 'PUT') return entry.json<{ hostname: string; seenAt: string; agent: { version: string } }>();
        await new Promise((wait) => setTimeout(wait, 100));
      }
    })(), 10_000, 'facts of web01');
    assert.ok(facts.hostname && facts.agent.version && !Number.isNaN(Date.parse(facts.seenAt)), JSON.stringify(facts));
    const asWeb01 = await new Kvm(await fx.as('web01')).open(kvBucket);
    await asWeb01.put(factsKey('web01'), JSON.stringify({ ...facts, seenAt: new Date().toISOString() }));
    await assert.rejects(asWeb01.put(factsKey('web02'), '{}'), /Permissions Violation for Publish to "\$KV\.muster\.facts\.web02"/);
    await assert.rejects(asWeb01.put('host.web01', '{}'), /Permissions Violation for Publish to "\$KV\.muster\.host\.web01"/);
    await assert.rejects(asWeb01.put(versionKey, '{}'), /Permissions Violation for Publish to "\$KV\.muster\.version"/);
  });

  it('an agent restarted with the broker down keeps its copy; back up, it confirms it', async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    agents = [];
    const copy = join(fx.copyDir('web01'), 'inventory.json');
    const text = readFileSync(copy, 'utf8');
    const confirmed = statSync(copy).mtimeMs;
    await fx.down();
    const start = (): { log: () => string; kill: () => Promise<void> } => {
      const child = spawn(process.execPath, [musterBin, 'agent', 'run', '--dir', fx.agentDir('web01')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr.on('data', (chunk: Buffer) => { log += chunk.toString(); });
      const exited = new Promise((done) => child.once('exit', done));
      return { log: () => log, kill: async () => { child.kill('SIGKILL'); await exited; } };
    };
    const offline = start();
    try {
      await new Promise((wait) => setTimeout(wait, 2000));
      assert.match(offline.log(), /connecting to/);
      assert.equal(readFileSync(copy, 'utf8'), text);
      assert.equal(statSync(copy).mtimeMs, confirmed, 'not confirmed while no broker said so');
    } finally {
      await offline.kill();
    }
    await fx.up();
    const online = start();
    try {
      await within((async () => {
        while (statSync(copy).mtimeMs === confirmed) await new Promise((wait) => setTimeout(wait, 100));
      })(), 15_000, `the copy confirmed again; agent log: ${online.log()}`);
      assert.equal(readFileSync(copy, 'utf8'), text, 'the same copy, confirmed (not rewritten)');
    } finally {
      await online.kill();
    }
  });
});
