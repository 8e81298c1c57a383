import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertNoStack, musterSync } from '../cli/commands/cli.test-helper.js';
import type { TestBroker } from '../transport/nats/testBroker.test-helper.js';
import { agentDir, brokerFor, signWithDates } from './agentFixture.test-helper.js';
import { openssl } from './agentFixture.test-helper.js';
import { AgentConfigError, loadAgentConfig } from './config.js';
import { tempDir } from './tempDir.test-helper.js';


let broker: TestBroker;

before(async () => {
  broker = await brokerFor(['web01', 'web02']);
});

after(async () => {
  await broker.stop();
});

function refusal(dir: string): string {
  try {
    loadAgentConfig(dir);
  } catch (error) {
    assert.ok(error instanceof AgentConfigError, String(error));
    return error.message;
  }
  assert.fail('the folder was accepted');
}

test('a good folder loads: name, servers, roles, the certificate\'s end', () => {
  const config = loadAgentConfig(agentDir(broker, 'web01', ['web']));
  assert.equal(config.name, 'web01');
  assert.deepEqual(config.servers, [broker.url]);
  assert.deepEqual(config.roles, ['web']);
  assert.ok(config.notAfter.getTime() > Date.now());
});

test('an expired certificate is refused with one clear line, and muster agent run exits 1', () => {
  const dir = agentDir(broker, 'web01');
  signWithDates(broker, dir, 'web01', '20200101000000Z', '20200102000000Z');
  assert.equal(refusal(dir), `certificate ${join(dir, 'agent.crt')} of web01 expired at 2020-01-02T00:00:00.000Z; renew: muster agent enroll --name web01, then muster ca sign web01`);
  const ran = musterSync(['agent', 'run', '--dir', dir]);
  assert.equal(ran.code, 1, ran.stderr);
  assert.equal(ran.stderr, `muster: certificate ${join(dir, 'agent.crt')} of web01 expired at 2020-01-02T00:00:00.000Z; renew: muster agent enroll --name web01, then muster ca sign web01\n`);
  assertNoStack(ran.stderr);
});

test('a certificate not valid yet is refused, naming the clock', () => {
  const dir = agentDir(broker, 'web01');
  signWithDates(broker, dir, 'web01', '20990101000000Z', '20990102000000Z');
  assert.match(refusal(dir), /of web01 is not valid before 2099-01-01T00:00:00.000Z \(is this host's clock right\?\)/);
});

test('a certificate of another host is refused', () => {
  const dir = agentDir(broker, 'web01');
  copyFileSync(broker.files('web02').cert, join(dir, 'agent.crt'));
  copyFileSync(broker.files('web02').key, join(dir, 'agent.key'));
  chmodSync(join(dir, 'agent.key'), 0o600);
  assert.match(refusal(dir), /names web02, not this agent's name web01/);
});

test('a certificate of another CA is refused', () => {
  const dir = agentDir(broker, 'web01');
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  openssl(dir, ['req', '-x509', '-new', '-key', 'other.key', '-subj', '/O=other/CN=other CA', '-days', '2', '-out', 'ca.crt']);
  assert.match(refusal(dir), /of web01 was not issued by the CA in .*ca\.crt/);
});

test('a key that is not the certificate\'s is refused, and the key is never shown', () => {
  const dir = agentDir(broker, 'web01');
  copyFileSync(broker.files('web02').key, join(dir, 'agent.key'));
  chmodSync(join(dir, 'agent.key'), 0o600);
  const message = refusal(dir);
  assert.match(message, /is not the pair of the key .*agent\.key/);
  assert.doesNotMatch(message, /PRIVATE KEY/);
});

test('a key group or others may read is refused with one line saying the chmod', () => {
  const dir = agentDir(broker, 'web01');
  chmodSync(join(dir, 'agent.key'), 0o640);
  assert.throws(() => loadAgentConfig(dir), (error: unknown) => error instanceof AgentConfigError && /agent\.key may be read by group or others \(mode 0640\); chmod 600 /.test(error.message) && !error.message.includes('\n'));
});

test('a missing or bad agent.json says how to make it', () => {
  const empty = tempDir('muster-agent-empty-');
  assert.match(refusal(empty), /cannot read the agent configuration .*agent\.json \(ENOENT\); make it with: muster agent enroll/);
  writeFileSync(join(empty, 'agent.json'), JSON.stringify({ name: 'x', servers: [] }));
  assert.match(refusal(empty), /agent\.json: servers: /);
});
