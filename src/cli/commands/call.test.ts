/**
 * `muster run --transport nats` and `muster call` end to end: the real CLI, a real TLS
 * nats-server (testBroker), real agents (web1-3 in this process, quiet1 a child process
 * stopped with SIGSTOP: a silent agent), and a state folder laid out as docs/agents.md says
 * (STATE/ca/ca.crt, STATE/ca/operators/NAME.crt|key).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcess, startAgents, type AgentProcess, type InProcessAgents } from '../../transport/nats/realAgents.test-helper.js';
import { startTestBroker, type TestBroker } from '../../transport/nats/testBroker.test-helper.js';
import { assertNoStack, muster, musterSync } from './cli.test-helper.js';
import { parseCallArgs } from './call.js';

let broker: TestBroker;
let agents: InProcessAgents;
let quiet: AgentProcess;
let control: NatsConnection;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  broker = await startTestBroker([
    ...['web1', 'web2', 'web3', 'quiet1'].map((name) => ({ name, kind: 'agent' as const })),
    { name: 'alice', kind: 'operator' },
    { name: 'audit', kind: 'operator', permissions: { publish: { allow: ['muster.agent.*.ping.>', 'muster.agent.*.file.stat'] }, subscribe: { allow: ['muster.inbox.audit.>'] } } },
  ]);
  const files = broker.files('alice');
  control = await connect({ servers: broker.url, tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca } });
  [agents, quiet] = await Promise.all([startAgents(broker, ['web1', 'web2', 'web3']), startAgentProcess(broker, 'quiet1', control)]);
  // Subscribed, then stopped: requests reach it and nothing answers.
  quiet.child.kill('SIGSTOP');
  work = mkdtempSync(join(tmpdir(), 'muster-call-'));
  const state = join(work, 'state');
  mkdirSync(join(state, 'ca', 'operators'), { recursive: true });
  copyFileSync(broker.ca, join(state, 'ca', 'ca.crt'));
  for (const operator of ['alice', 'audit']) {
    copyFileSync(broker.files(operator).cert, join(state, 'ca', 'operators', `${operator}.crt`));
    copyFileSync(broker.files(operator).key, join(state, 'ca', 'operators', `${operator}.key`));
  }
  writeFileSync(join(work, 'muster.yaml'), [
    'version: 1',
    'agents:',
    `  servers: [${broker.url}]`,
    'roles:',
    '  web: { vars: { muster_transport: nats } }',
    'hosts:',
    '  web[1-3]: { roles: [web], address: "127.0.0.[1-3]" }',
    '  gone1: { address: 127.0.0.11 }',
    '  quiet1: { address: 127.0.0.12 }',
    '  here: { address: 127.0.0.13, vars: { muster_transport: local } }',
    '',
  ].join('\n'));
  env = { ...process.env, MUSTER_INVENTORY: join(work, 'muster.yaml'), MUSTER_STATE: state, MUSTER_STATE_DIR: join(work, 'history'), MUSTER_OPERATOR: 'alice', NO_COLOR: '1' };
});
after(async () => {
  await quiet?.kill();
  await agents?.stop();
  await control?.close();
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('muster run over nats', () => {
  test('--transport nats: every host through its agent, gathered as over ssh', async () => {
    const ran = await muster(['run', 'web', '--transport', 'nats', '--', 'echo hi; echo oops >&2'], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, ['---------------', 'web[1-3] (3) ok', '---------------', 'hi', 'oops', ''].join('\n'));
    assert.match(ran.stderr, /^3 hosts: 3 ok in \d/m);
  });

  test('no agent → unreachable, a silent agent → timeout, each once; the others ok (exit 1)', async () => {
    const ran = await muster(['run', 'web1,gone1,quiet1', '--transport', 'nats', '--connect-timeout', '500ms', '--json', '--', 'true'], { env });
    assert.equal(ran.code, 1, ran.stderr);
    const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host?: string; status?: string; message?: string; type: string });
    // Records come as hosts finish: compared in the selector's order.
    const order = ['web1', 'gone1', 'quiet1'];
    const byOrder = records.slice(0, -1).sort((a, b) => order.indexOf(a.host ?? '') - order.indexOf(b.host ?? ''));
    assert.deepEqual(byOrder.map((r) => [r.host, r.status, r.message]), [
      ['web1', 'ok', undefined],
      ['gone1', 'unreachable', 'no agent connected for gone1'],
      ['quiet1', 'timeout', 'the agent of quiet1 did not answer within 500ms'],
    ]);
  });

  test('muster_transport per host: web over nats, `here` locally, in one run', async () => {
    const ran = await muster(['run', 'web,here', '--', 'echo same'], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^here,web\[1-3\] \(4\) ok\n-+\nsame$/m);
  });

  test('diff, fetch and push work unchanged over agents', async () => {
    const file = join(work, 'shared.conf');
    writeFileSync(file, 'same everywhere\n');
    const diff = await muster(['diff', 'web', file, '--transport', 'nats'], { env });
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /identical on 3 hosts/);
    const fetched = await muster(['fetch', 'web', file, join(work, 'fetched'), '--transport', 'nats'], { env });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(readFileSync(join(work, 'fetched', 'web2', 'shared.conf'), 'utf8'), 'same everywhere\n');
    writeFileSync(join(work, 'new.conf'), 'new\n');
    const pushed = await muster(['push', 'web1', join(work, 'new.conf'), join(work, 'pushed.conf'), '--transport', 'nats'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal(readFileSync(join(work, 'pushed.conf'), 'utf8'), 'new\n');
  });

  test('a command the broker refuses this operator is one line, exit 2', async () => {
    const ran = await muster(['run', 'web', '--transport', 'nats', '--operator', 'audit', '--', 'true'], { env });
    assert.equal(ran.code, 2, ran.stdout);
    assert.equal(ran.stderr, 'muster: the broker refused: operator audit may not call command.run\n');
    assertNoStack(ran.stderr);
  });

  test('two operator certificates and no --operator: a usage error naming them', () => {
    const ran = musterSync(['run', 'web', '--transport', 'nats', '--', 'true'], { env: { ...env, MUSTER_OPERATOR: '' } });
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /Several operator certificates in .*operators \(alice, audit\): give --operator NAME/);
  });
});

describe('muster call', () => {
  test('equal values gather into one block; arguments parsed as YAML scalars or JSON', async () => {
    // The agents all run here, so they read the same file: equal values.
    const file = join(work, 'five.txt');
    writeFileSync(file, 'hello');
    const ran = await muster(['call', 'web', 'file.read', `path=${file}`, 'maxBytes=5'], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, ['---------------', 'web[1-3] (3) ok', '---------------', `path: ${file}`, 'size: 5', 'data: aGVsbG8=', ''].join('\n'));
    assert.match(ran.stderr, /^3 hosts: 3 ok in /m);
    // maxBytes=5 went as the number 5 (the agent checks); "0640" stays a string the agent reads as octal; JSON is JSON.
    const written = await muster(['call', 'web1', 'file.write', `path=${join(work, 'written.txt')}`, 'data=aGk=', 'mode=0640', 'keepOld=true'], { env });
    assert.equal(written.code, 0, written.stderr);
    assert.equal(readFileSync(join(work, 'written.txt'), 'utf8'), 'hi');
    const stat = await muster(['call', 'web1', 'file.stat', `path=${join(work, 'written.txt')}`, '--json'], { env });
    assert.equal((JSON.parse(stat.stdout.split('\n')[0] ?? '') as { value: { mode: string } }).value.mode, '0640');
    const typed = await muster(['call', 'web1', 'file.read', `path=${file}`, 'maxBytes=[5]'], { env });
    assert.match(typed.stdout, /failed: invalid arguments: maxBytes: /);
  });

  test('--json: one record per host with its value or the agent\'s error, then the summary', async () => {
    const file = join(work, 'five.txt');
    writeFileSync(file, 'hello');
    const ran = await muster(['call', 'web1,gone1', 'file.read', `path=${file}`, '--json'], { env });
    assert.equal(ran.code, 1, ran.stderr);
    const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(records.length, 3);
    assert.deepEqual([records[0]?.['host'], records[0]?.['status'], records[0]?.['value']], ['web1', 'ok', { path: file, size: 5, data: 'aGVsbG8=' }]);
    assert.deepEqual([records[1]?.['host'], records[1]?.['status'], records[1]?.['message']], ['gone1', 'unreachable', 'no agent connected for gone1']);
    assert.equal(records[2]?.['type'], 'summary');
  });

  test('a module error is `failed` with the agent\'s message (exit 1); a refused module is one line (exit 2)', async () => {
    const failed = await muster(['call', 'web', 'file.read', 'path=/nonexistent/muster-call'], { env });
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /^web\[1-3\] \(3\) failed: cannot read \/nonexistent\/muster-call: ENOENT$/m);
    const refused = await muster(['call', 'web', 'file.read', 'path=/etc/hostname', '--operator', 'audit'], { env });
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'muster: the broker refused: operator audit may not call file.read\n');
    const allowed = await muster(['call', 'web', 'file.stat', 'path=/nonexistent/muster-call', '--operator', 'audit'], { env });
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  test('bad calls and arguments are usage errors', () => {
    assert.match(musterSync(['call', 'web', 'ping'], { env }).stderr, /Invalid call "ping": give MODULE\.ACTION/);
    assert.match(musterSync(['call', 'web', 'command.run'], { env }).stderr, /use muster run SEL --transport nats/);
    assert.throws(() => parseCallArgs(['novalue']), /Invalid argument "novalue": give KEY=VALUE/);
    assert.throws(() => parseCallArgs(['a=1', 'a=2']), /Argument a is given twice/);
    assert.throws(() => parseCallArgs(['a={nope']), /Invalid argument a: \{nope starts like JSON/);
    assert.deepEqual(parseCallArgs(['a=-1.5e3', 'b=null', 'c=x=y', 'd="7"', 'e=']), { a: -1500, b: null, c: 'x=y', d: '7', e: '' });
  });
});
