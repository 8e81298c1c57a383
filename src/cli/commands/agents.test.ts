/**
 * Agents end to end: one lab of 4 real sshd hosts, each running a real `muster agent`
 * (`muster lab up --agents --brokers 3`: fleet CA, a 3-node nats-server cluster on loopback,
 * `agent install` over SSH, auto-signed), and the real CLI. Every command of wave 1 gives the
 * same outcomes over `--transport nats` as over ssh; an agent killed mid-command, a revoked
 * and an expired certificate, malformed and oversized requests, and a broker node killed
 * mid-run each end as the design says, never in a hang.
 * Needs root, openssh-server and nats-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { operatorFiles } from '../../ca/paths.js';
import { labDaemons, labDown, labExec, labStartDaemon, labStopDaemon, labUnavailableReason, type Lab } from '../../lab/index.js';
import { musterBin, muster as runMuster, type Ran } from './cli.test-helper.js';

const natsMissing = spawnSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' }).status === 0 ? undefined : 'nats-server is not installed';
const unavailable = (await labUnavailableReason()) ?? natsMissing;

type Record = { [key: string]: unknown };

/**
 * JSON Lines of a --json run, durations dropped (they differ by nature, not by transport), host
 * records in host order (a run writes each as its host finishes, so their order is the race's).
 */
function records(ran: Ran): Record[] {
  const all = ran.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const { durationMs: _d, duration: _e, startedAt: _s, ...rest } = JSON.parse(line) as Record;
    return rest;
  });
  const host = (record: Record): string => (record['type'] === 'host' ? String(record['host']) : '');
  return [...all.filter((record) => host(record) !== '').sort((a, b) => host(a).localeCompare(host(b))), ...all.filter((record) => host(record) === '')];
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

describe('agents over NATS on a real lab (4 hosts, 3 brokers)', { skip: unavailable ?? false }, () => {
  const name = `test-agents-${process.pid}`;
  let lab: Lab & { agents: { servers: string[]; stateDir: string } };
  let env: NodeJS.ProcessEnv;
  let work: string;

  function muster(args: string[]): Promise<Ran> {
    return runMuster(args, { env, cwd: work });
  }

  /** Runs the same command over ssh and over nats and returns both record lists. */
  async function both(args: string[]): Promise<{ ssh: Record[]; nats: Record[]; codes: [number | null, number | null] }> {
    // The options go right after the command's name: after `--` they would be the remote command's words.
    const [name, ...rest] = args;
    const ssh = await muster([name ?? '', '--json', '--transport', 'ssh', ...rest]);
    const nats = await muster([name ?? '', '--json', '--transport', 'nats', ...rest]);
    return { ssh: records(ssh), nats: records(nats), codes: [ssh.code, nats.code] };
  }

  async function on(host: string, command: string): Promise<string> {
    return (await labExec(lab, host, command)).stdout;
  }

  async function ping(host: string): Promise<Record | undefined> {
    const ran = await muster(['call', host, 'ping.get', '--json']);
    return records(ran).find((record) => record['host'] === host);
  }

  /** The argv the lab started each agent with, to start one again after killing it. */
  const agentArgv = (): string[] => [process.execPath, musterBin, 'agent', 'run', '--dir', '/etc/muster-agent'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'muster-agents-test-'));
    const { MUSTER_STATE: _state, MUSTER_OPERATOR: _operator, ...rest } = process.env;
    env = { ...rest, MUSTER_INVENTORY: '', MUSTER_STATE_DIR: join(work, 'history'), NO_COLOR: '1' };
    const up = await muster(['lab', 'up', '4', '--agents', '--brokers', '3', '--name', name, '--json']);
    assert.equal(up.code, 0, up.stderr);
    lab = JSON.parse(up.stdout.trim().split('\n').at(-1) ?? '{}') as typeof lab;
    env['MUSTER_INVENTORY'] = lab.inventoryPath;
  });

  after(async () => {
    if (lab) await runMuster(['lab', 'down', '--name', name], { env });
    await labDown(name).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('lab up --agents: every host runs an agent, listed by lab status, answering ping over the cluster', async () => {
    assert.equal(lab.agents.servers.length, 3);
    const daemons = await labDaemons(name);
    assert.deepEqual(daemons.map((daemon) => [daemon.host, daemon.name]), lab.hosts.map((host) => [host.name, 'agent']));
    const status = await muster(['lab', 'status', '--name', name]);
    assert.match(status.stdout, /lab01 .* agent \(pid \d+\)/);
    const ran = await muster(['call', 'all', 'ping.get', '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const hosts = records(ran).filter((record) => record['host'] !== undefined);
    assert.deepEqual(hosts.map((record) => [record['host'], record['status']]), lab.hosts.map((host) => [host.name, 'ok']));
    // Up again as asked: the lab is kept, its agents restarted, all answering.
    const again = await muster(['lab', 'up', '4', '--agents', '--brokers', '3', '--name', name]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /was already there with 4 hosts/);
    const after = await labDaemons(name);
    assert.equal(after.length, 4);
    assert.ok(after.every((daemon, index) => daemon.pid !== daemons[index]?.pid), 'each agent was restarted');
    const pinged = await muster(['call', 'all', 'ping.get']);
    assert.equal(pinged.code, 0, pinged.stderr);
  });

  test('run: the same outcomes over nats as over ssh (output, exit codes, a failing host)', async () => {
    const ok = await both(['run', 'all', '--', 'hostname; echo to-stderr >&2; printf "x%.0s" $(seq 1 3000)']);
    assert.deepEqual(ok.codes, [0, 0]);
    assert.deepEqual(ok.nats, ok.ssh);
    assert.equal(ok.nats.length, 5, 'four hosts and the summary');
    const mixed = await both(['run', 'all', '--', 'test "$(hostname)" != lab02 || { echo no; exit 3; }']);
    assert.deepEqual(mixed.codes, [1, 1]);
    assert.deepEqual(mixed.nats, mixed.ssh);
    assert.ok(mixed.nats.some((record) => record['host'] === 'lab02' && record['status'] === 'failed' && record['exitCode'] === 3));
    const stdin = join(work, 'input');
    await writeFile(stdin, 'line one\nline two\n');
    const piped = await both(['run', 'all', '--stdin', stdin, '--', 'wc -l']);
    assert.deepEqual(piped.nats, piped.ssh);
  });

  test('push, diff, fetch and apply: the same outcomes over nats as over ssh', async () => {
    await writeFile(join(work, 'motd'), 'managed by muster\n');
    const pushed = { ssh: [] as Record[], nats: [] as Record[] };
    for (const transport of ['ssh', 'nats'] as const) {
      await Promise.all(lab.hosts.map((host) => on(host.name, 'rm -f /etc/muster-motd')));
      const ran = await muster(['push', 'all', 'motd', '/etc/muster-motd', '--mode', '0640', '--json', '--transport', transport]);
      assert.equal(ran.code, 0, ran.stderr);
      pushed[transport] = records(ran);
      assert.equal(await on('lab03', 'stat -c %a /etc/muster-motd; cat /etc/muster-motd'), '640\nmanaged by muster\n');
    }
    assert.deepEqual(pushed.nats, pushed.ssh);
    assert.ok(pushed.nats.filter((record) => record['status'] === 'changed').length === 4);

    await on('lab02', 'echo changed-here >> /etc/muster-motd');
    const diff = await both(['diff', 'all', '/etc/muster-motd']);
    assert.deepEqual(diff.codes, [1, 1]);
    assert.deepEqual(diff.nats, diff.ssh);

    const fetched = { ssh: [] as Record[], nats: [] as Record[] };
    for (const transport of ['ssh', 'nats'] as const) {
      const into = join(work, `fetched-${transport}`);
      const ran = await muster(['fetch', 'all', '/etc/hostname', into, '--json', '--transport', transport]);
      assert.equal(ran.code, 0, ran.stderr);
      // Paths name the folder fetched into; the rest must match.
      fetched[transport] = JSON.parse(JSON.stringify(records(ran)).replaceAll(into, 'INTO')) as Record[];
      assert.deepEqual((await readdir(into)).sort(), lab.hosts.map((host) => host.name));
      assert.equal(await readFile(join(into, 'lab04', 'hostname'), 'utf8').catch(async () => readFile(join(into, 'lab04'), 'utf8').catch(() => '?')), 'lab04\n');
    }
    assert.deepEqual(fetched.nats, fetched.ssh);

    await writeFile(join(work, 'task.yaml'), ['version: 1', 'target: all', 'steps:', '  - run: test -f /etc/muster-motd', '  - push: motd',
      '    dest: /etc/muster-motd', '    mode: "0640"', '  - then: touch /root/motd-changed', ''].join('\n'));
    const check = await both(['apply', 'task.yaml', '--check']);
    assert.deepEqual(check.nats, check.ssh);
    const applied = { ssh: [] as Record[], nats: [] as Record[] };
    for (const transport of ['ssh', 'nats'] as const) {
      await on('lab02', 'echo changed-here >> /etc/muster-motd; rm -f /root/motd-changed');
      const ran = await muster(['apply', 'task.yaml', '--json', '--transport', transport]);
      assert.equal(ran.code, 0, ran.stderr);
      applied[transport] = records(ran);
      assert.equal(await on('lab02', 'cat /etc/muster-motd; ls /root/motd-changed'), 'managed by muster\n/root/motd-changed\n');
    }
    assert.deepEqual(applied.nats, applied.ssh);
  });

  test('an agent killed mid-command: the host is unreachable or failed within seconds, never a hang', async () => {
    const started = Date.now();
    const running = muster(['run', 'lab01', '--transport', 'nats', '--json', '--', 'echo started; sleep 41']);
    await until('the command to start on lab01', async () => (await on('lab01', 'pgrep -f "slee[p] 41" || true')).trim() !== '', 15_000);
    await labStopDaemon(name, 'lab01', 'agent', { signal: 'SIGKILL' });
    const ran = await running;
    const elapsed = Date.now() - started;
    const [record] = records(ran);
    assert.ok(record && ['unreachable', 'failed'].includes(String(record['status'])), JSON.stringify(record));
    assert.ok(elapsed < 15_000, `ended after ${elapsed} ms`);
    // Back again for the tests below.
    await labStartDaemon(name, 'lab01', 'agent', agentArgv());
    await until('lab01 answering again', async () => (await ping('lab01'))?.['status'] === 'ok', 20_000);
  });

  test('malformed and oversized requests are answered with an error; the agent goes on answering', async () => {
    const files = operatorFiles(lab.agents.stateDir, 'admin');
    const nc = await connect({ servers: lab.agents.servers, inboxPrefix: 'muster.inbox.admin', tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca } });
    try {
      const bad = await nc.request('muster.agent.lab02.ping.get', 'not json {', { timeout: 5000 });
      assert.equal((bad.json<Record>())['ok'], false);
      assert.match(JSON.stringify(bad.json()), /bad-request/);
      const unknown = await nc.request('muster.agent.lab02.nosuch.thing', JSON.stringify({ v: 1 }), { timeout: 5000 });
      assert.match(JSON.stringify(unknown.json()), /unknown-module/);
      const big = await nc.request('muster.agent.lab02.ping.get', JSON.stringify({ v: 1, args: { pad: 'x'.repeat(2 * 1024 * 1024) } }), { timeout: 5000 });
      assert.match(JSON.stringify(big.json()), /too-large/);
      const fine = await nc.request('muster.agent.lab02.ping.get', JSON.stringify({ v: 1 }), { timeout: 5000 });
      assert.equal((fine.json<Record>())['ok'], true);
    } finally {
      await nc.close();
    }
  });

  test('an expired certificate is refused with a clear line', async () => {
    // A copy of lab03's key, a CSR from it, signed to expire in 2 s: the agent must refuse it once expired.
    await on('lab03', 'mkdir -p /tmp/expired && cp /etc/muster-agent/agent.key /tmp/expired/ && cp /etc/muster-agent/ca.crt /tmp/expired/');
    const csr = await on('lab03', `${process.execPath} ${musterBin} agent enroll --name lab03 --dir /tmp/expired --servers ${lab.agents.servers.join(',')}`);
    const { submitCsr } = await import('../../ca/pending.js');
    const { signPending } = await import('../../ca/sign.js');
    await submitCsr(lab.agents.stateDir, csr, { hostNames: new Set(lab.hosts.map((host) => host.name)), source: { via: 'ssh', address: lab.hosts[2]?.address ?? '' } });
    const notAfter = new Date(Date.now() + 2000);
    const [record] = await signPending(lab.agents.stateDir, ['lab03'], { notAfter });
    assert.ok(record);
    await labExec(lab, 'lab03', 'cat > /tmp/expired/agent.crt', { input: await readFile(record.path, 'utf8') });
    await until('the certificate to expire', async () => Date.now() > notAfter.getTime() + 200, 10_000);
    const ran = await labExec(lab, 'lab03', `${process.execPath} ${musterBin} agent run --dir /tmp/expired`);
    assert.equal(ran.code, 1, ran.stdout + ran.stderr);
    assert.match(ran.stderr, /expired/);
    assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr);
    // lab03 gets a certificate of normal validity again (its key is the same), and still answers.
    const again = await on('lab03', `${process.execPath} ${musterBin} agent enroll --name lab03 --dir /tmp/expired --servers ${lab.agents.servers.join(',')}`);
    await submitCsr(lab.agents.stateDir, again, { hostNames: new Set(lab.hosts.map((host) => host.name)), source: { via: 'ssh', address: lab.hosts[2]?.address ?? '' } });
    await signPending(lab.agents.stateDir, ['lab03']);
    const { refreshBrokers } = await import('../../broker/process.js');
    const { loadInventory } = await import('../../inventory/load.js');
    assert.deepEqual(await refreshBrokers(await loadInventory({ path: lab.inventoryPath }), lab.agents.stateDir), { configured: true, confirmed: [1, 2, 3], unconfirmed: [] });
    assert.equal((await ping('lab03'))?.['status'], 'ok');
  });

  test('a revoked agent is refused within 2 s of ca revoke', async () => {
    assert.equal((await ping('lab04'))?.['status'], 'ok');
    const revoked = await muster(['ca', 'revoke', 'lab04']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const took = await until('lab04 to be refused', async () => (await ping('lab04'))?.['status'] === 'unreachable', 5_000);
    assert.ok(took < 2_000, `refused after ${took} ms`);
    // The others still answer.
    assert.equal((await ping('lab01'))?.['status'], 'ok');
  });

  test('3-node cluster: a broker node killed mid-run, the run still completes', async () => {
    const brokerFolder = join(lab.agents.stateDir, 'broker');
    const pid = Number((await readFile(join(brokerFolder, 'node-2.pid'), 'utf8')).trim());
    assert.ok(pid > 0);
    const monitor = `http://127.0.0.1:${Number(new URL(lab.agents.servers[1] ?? '').port) + 4000}/connz?limit=1000`;
    const started = Date.now();
    const running = muster(['run', 'lab[01-03]', '--transport', 'nats', '--json', '--', 'sleep 2; echo done']);
    await until('the commands to start', async () => (await on('lab01', 'pgrep -f "slee[p] 2; echo done" || true')).trim() !== '', 10_000);
    // Who is on the node about to go: its agents, and maybe the operator.
    const { connections } = await (await fetch(monitor)).json() as { connections: { name?: string }[] };
    const names = connections.map((connection) => connection.name ?? '');
    process.kill(pid, 'SIGKILL');
    const ran = await running;
    const hosts = records(ran).filter((record) => typeof record['host'] === 'string');
    assert.equal(hosts.length, 3, ran.stdout + ran.stderr);
    assert.ok(Date.now() - started < 20_000, 'the run ended');
    const operatorLost = names.some((name) => name.startsWith('muster operator'));
    for (const record of hosts) {
      const agentLost = names.includes(`muster-agent ${String(record['host'])}`);
      if (operatorLost || agentLost) {
        // Its replies cannot follow it to another node (allow_responses is per connection): one clear outcome, no hang.
        assert.ok(record['status'] === 'ok' || record['status'] === 'unreachable', JSON.stringify(record));
      } else {
        assert.deepEqual([record['status'], record['stdout']], ['ok', 'done\n'], `${String(record['host'])} was on a surviving node`);
      }
    }
  });
});
