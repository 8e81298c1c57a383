/**
 * Hosts that join, end to end: a lab of 3 real sshd hosts with real agents and a real broker
 * (`muster lab up --agents`), of which lab03 is made a stranger (its agent stopped, revoked,
 * its folder wiped, taken out of the inventory). Given a join credential, `muster agent join`
 * on lab03 files its request; `muster pending` lists it with its facts; `muster admit` writes
 * it into the YAML, signs it and answers it; its agent then answers `muster run` over nats,
 * and sshd answers it over ssh. The join credential can do nothing else on the broker.
 * Needs root, openssh-server and nats-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { joinFiles } from '../../ca/paths.js';
import { kvBucket } from '../../core/fleetKv.js';
import { joinInboxPrefix } from '../../core/subjects.js';
import { labDown, labExec, labStartDaemon, labStopDaemon, labUnavailableReason, type Lab } from '../../lab/index.js';
import { musterBin, muster as runMuster, until, type Ran } from './cli.test-helper.js';

const natsMissing = spawnSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' }).status === 0 ? undefined : 'nats-server is not installed';
const unavailable = (await labUnavailableReason()) ?? natsMissing;

describe('hosts that join: agent join, pending, admit (3 lab hosts, real agents and broker)', { skip: unavailable ?? false }, () => {
  const name = `test-join-${process.pid}`;
  let lab: Lab & { agents: { servers: string[]; stateDir: string } };
  let env: NodeJS.ProcessEnv;
  let work: string;
  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: work });
  const lab03 = (): { name: string; address: string } => lab.hosts.find((host) => host.name === 'lab03') ?? assert.fail('lab03');

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'muster-join-test-'));
    const { MUSTER_STATE: _state, MUSTER_OPERATOR: _operator, ...rest } = process.env;
    env = { ...rest, MUSTER_INVENTORY: '', MUSTER_STATE_DIR: join(work, 'history'), NO_COLOR: '1' };
    const up = await muster(['lab', 'up', '3', '--agents', '--name', name, '--json']);
    assert.equal(up.code, 0, up.stderr);
    lab = JSON.parse(up.stdout.trim().split('\n').at(-1) ?? '{}') as typeof lab;
    env['MUSTER_INVENTORY'] = lab.inventoryPath;
    // lab03 becomes a stranger: no agent, no certificate, no folder, not in the inventory (which gains a role).
    await labStopDaemon(lab.name, 'lab03', 'agent');
    assert.equal((await muster(['ca', 'revoke', 'lab03'])).code, 0);
    await labExec(lab, 'lab03', 'rm -rf /etc/muster-agent');
    const text = await readFile(lab.inventoryPath, 'utf8');
    // A lab of 3 is lab[01-02] (dc1) and lab03 (dc2), each entry with its indented lines.
    const narrowed = text.replace(/^ {2}lab03:\n( {4}.*\n)*/m, '').replace('hosts:\n', 'roles:\n  web: {}\nhosts:\n');
    assert.doesNotMatch(narrowed, /lab03|\[01-03\]/);
    assert.notEqual(narrowed, text);
    await writeFile(lab.inventoryPath, narrowed);
    // The bucket, made by the first publish (lab01 and lab02's agents then keep its copy).
    const published = await muster(['publish']);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /^published revision 1: /);
  });

  after(async () => {
    if (lab) await runMuster(['lab', 'down', '--name', name], { env });
    await labDown(name).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a host with a join credential asks, is listed, admitted, and then answers muster run', async () => {
    const signed = await muster(['ca', 'sign', '--join', 'newhosts']);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stdout, /^signed join newhosts until /);
    const credential = joinFiles(lab.agents.stateDir, 'newhosts');
    await labExec(lab, 'lab03', `mkdir -p /etc/muster-agent && cp ${credential.cert} /etc/muster-agent/join.crt && cp ${credential.key} /etc/muster-agent/join.key && cp ${credential.ca} /etc/muster-agent/ca.crt`);
    await labStartDaemon(lab.name, 'lab03', 'agent', [process.execPath, musterBin, 'agent', 'join', '--servers', lab.agents.servers.join(','), '--name', 'lab03', '--dir', '/etc/muster-agent']);

    const listed = await until('lab03 in muster pending', async () => {
      const ran = await muster(['pending', '--json']);
      assert.equal(ran.code, 0, ran.stderr);
      return ran.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { name: string; key: string; facts: { hostname?: string } })
        .find((record) => record.name === 'lab03');
    });
    assert.match(listed.key, /^sha256:[0-9a-f]{16}…$/);
    assert.equal(listed.facts.hostname, 'lab03', 'the facts it sent');
    const shown = await muster(['pending']);
    assert.match(shown.stdout, /^lab03 {2}asked \S+ \S+ {2}key sha256:/m);

    // Not before the operator's word: lab03 is nowhere yet.
    assert.equal((await muster(['ls', 'lab03'])).code, 2);
    const admitted = await muster(['admit', 'lab03', '--role', 'web', '--state', 'warn', '--address', lab03().address]);
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.match(admitted.stdout, new RegExp(`^admitted lab03 \\(roles web, state warn, address ${lab03().address.replace(/\./g, '\\.')}\\) into .*muster\\.yaml; signed until .*; published revision 2; answered`));
    assert.match(await readFile(lab.inventoryPath, 'utf8'), new RegExp(`\\n  lab03: \\{ roles: \\[web\\], address: ${lab03().address.replace(/\./g, '\\.')}, state: warn \\}\\n`));

    const answered = await until('lab03\'s agent to answer', async () => {
      const ran = await muster(['run', 'lab03', '--transport', 'nats', '--all-states', '--', 'hostname']);
      return ran.code === 0 ? ran : undefined;
    });
    assert.match(answered.stdout, /lab03/);
    const overSsh = await muster(['run', 'role:web', '--all-states', '--', 'hostname']);
    assert.equal(overSsh.code, 0, overSsh.stderr);
    assert.match(overSsh.stdout, /lab03/);
    assert.equal((await muster(['pending'])).stdout, 'no host is waiting to join\n');
    // Every host's copy of the inventory, lab03's own included, now has lab03: sourced, as MATRIX's dsas.conf was.
    for (const host of ['lab01', 'lab03']) {
      await until(`${host}'s copy to hold lab03`, async () => {
        const sourced = await labExec(lab, host, '. /etc/muster/muster.sh 2>/dev/null && echo "$MUSTER_ROLE_web"');
        return sourced.stdout.trim() === 'lab03' ? true : undefined;
      });
    }
    const again = await muster(['admit', 'lab03', '--role', 'web']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^muster: lab03 has not asked to join \(muster pending lists the hosts that have\)\n$/);
  });

  test('a join credential may file a request and read its answer, nothing else', async () => {
    const credential = joinFiles(lab.agents.stateDir, 'newhosts');
    const nc = await connect({ servers: lab.agents.servers, tls: { certFile: credential.cert, keyFile: credential.key, caFile: credential.ca }, inboxPrefix: joinInboxPrefix });
    const errors: string[] = [];
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'error') errors.push(String((status as { error?: unknown }).error));
    })();
    try {
      await assert.rejects(async () => (await new Kvm(nc).open(kvBucket)).get('host.lab01'), 'it cannot read the inventory');
      await assert.rejects(nc.request('muster.agent.lab01.ping.get', '{}', { timeout: 1000 }), 'it cannot call an agent');
      await assert.rejects(nc.request(`$KV.${kvBucket}.host.lab01`, '{}', { timeout: 1000 }), 'it cannot write a host record');
      await nc.flush();
      assert.ok(errors.some((error) => /Permissions Violation for Publish to "?muster\.agent\.lab01\.ping\.get/.test(error)), errors.join('\n'));
    } finally {
      await nc.close();
    }
  });
});
