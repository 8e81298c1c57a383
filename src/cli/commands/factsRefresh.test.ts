/**
 * `muster facts --refresh`: every agent asked now (`facts.get` over nats), with the real CLI,
 * a real TLS nats-server (testBroker) and real agents in this process (web1, web2); gone1 has
 * no agent. What the agents answer is this machine's own facts, so the test knows them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgents, type InProcessAgents } from '../../transport/nats/realAgents.test-helper.js';
import { startTestBroker, type TestBroker } from '../../transport/nats/testBroker.test-helper.js';
import { assertUsageFailure, muster } from './cli.test-helper.js';

let broker: TestBroker;
let agents: InProcessAgents;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  broker = await startTestBroker([...['web1', 'web2'].map((name) => ({ name, kind: 'agent' as const })), { name: 'alice', kind: 'operator' }]);
  agents = await startAgents(broker, ['web1', 'web2']);
  work = mkdtempSync(join(tmpdir(), 'muster-facts-refresh-'));
  const state = join(work, 'state');
  mkdirSync(join(state, 'ca', 'operators'), { recursive: true });
  copyFileSync(broker.ca, join(state, 'ca', 'ca.crt'));
  copyFileSync(broker.files('alice').cert, join(state, 'ca', 'operators', 'alice.crt'));
  copyFileSync(broker.files('alice').key, join(state, 'ca', 'operators', 'alice.key'));
  writeFileSync(join(work, 'muster.yaml'), [
    'version: 1',
    'agents:',
    `  servers: [${broker.url}]`,
    'hosts:',
    '  web[1-2]: { address: "127.0.0.[1-2]" }',
    '  gone1: { address: 127.0.0.11 }',
    '',
  ].join('\n'));
  env = { ...process.env, MUSTER_INVENTORY: join(work, 'muster.yaml'), MUSTER_STATE: state, MUSTER_OPERATOR: 'alice', NO_COLOR: '1' };
});
after(async () => {
  await agents?.stop();
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('muster facts --refresh', () => {
  test('asks every agent now: their facts gathered, a host without an agent unreachable (exit 1), the facts kept', async () => {
    const ran = await muster(['facts', '--refresh', '--connect-timeout', '1s'], { env });
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, new RegExp(`^hostname +${hostname()} +web\\[1-2\\] \\(2\\)$`, 'm'));
    assert.match(ran.stdout, /^kernel\.arch +\S+ +web\[1-2\] \(2\)$/m);
    assert.match(ran.stdout, /^gone1 \(1\) unreachable/m);
    assert.match(ran.stderr, /3 hosts: 2 ok, 1 unreachable/);
    const stored = JSON.parse(readFileSync(join(work, 'state', 'facts', 'web2.json'), 'utf8')) as { via: string; facts: { hostname: string } };
    assert.deepEqual([stored.via, stored.facts.hostname], ['nats', hostname()]);
    const picked = await muster(['ls', `fact.hostname=${hostname()}`, '-o', 'names'], { env });
    assert.equal(picked.stdout, 'web1\nweb2\n');
    assert.match(picked.stderr, /1 host has no stored facts \(gone1\)/);
  });

  test('--via nats without agents.servers, and a bad --via, are usage errors', async () => {
    writeFileSync(join(work, 'plain.yaml'), 'version: 1\nhosts: { a1: {} }\n');
    assertUsageFailure(await muster(['facts', '-i', join(work, 'plain.yaml'), '--via', 'nats'], { env }), /--via nats needs the broker/);
    assertUsageFailure(await muster(['facts', '--via', 'carrier-pigeon'], { env }), /--via|carrier-pigeon/);
  });
});
