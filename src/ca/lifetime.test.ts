/**
 * The CA's own lifetime and its files: `ca init` never replaces the key of a CA that lost its
 * certificate, the broker's renewed certificate ends with the CA, and a CA that ended (or ends
 * within a day) signs nothing. Each test makes its own state folder.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { agentCsr, certText, read, tempState } from './ca.test-helper.js';
import { backdateMs } from './issue.js';
import { checkCaLifetime } from './caLifetime.js';
import { CaError } from './errors.js';
import { initCa, renewBrokerCertificate } from './init.js';
import { caPaths } from './paths.js';
import { submitCsr } from './pending.js';
import { signOperator, signPending } from './sign.js';

function oneLine(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof CaError && pattern.test(error.message) && !error.message.includes('\n');
}

test('init refuses, and keeps the key, when ca.key or records are there without ca.crt', async () => {
  const state = tempState();
  try {
    const paths = caPaths(state.dir);
    await initCa(state.dir, { sans: [] });
    const key = read(paths.key);
    rmSync(paths.cert);
    await assert.rejects(initCa(state.dir, { sans: [] }), oneLine(/ca\.crt is missing: restore ca\.crt or move .*\/ca away; nothing was changed$/));
    assert.equal(read(paths.key), key, 'the CA key was replaced');
    // The key gone too, but the index still records what it signed.
    rmSync(paths.key);
    writeFileSync(paths.index, JSON.stringify({ version: 1, certificates: [{ kind: 'agent', name: 'web01', serial: '01', fingerprint: 'aa', spki: 'bb', notBefore: '', notAfter: '', signedAt: '', path: '' }] }));
    await assert.rejects(initCa(state.dir, { sans: [] }), oneLine(/restore ca\.crt or move/));
  } finally {
    state.remove();
  }
});

test('a renewed broker certificate ends with the CA, its key and certificate a pair, no temporary file left', async () => {
  const state = tempState();
  try {
    const paths = caPaths(state.dir);
    const made = await initCa(state.dir, { sans: [], days: 30 });
    const renewed = await renewBrokerCertificate(state.dir, { sans: ['10.9.9.9'] });
    assert.equal(renewed.notAfter, made.notAfter, '825 days asked, the CA ends in 30');
    const cert = new X509Certificate(read(paths.brokerCert));
    assert.ok(cert.checkPrivateKey(createPrivateKey(read(paths.brokerKey))));
    assert.deepEqual(readdirSync(dirname(paths.brokerCert)).sort(), ['server.crt', 'server.key']);
  } finally {
    state.remove();
  }
});

test('a CA with less than a day left signs nothing: agents, operators, the broker', async () => {
  const state = tempState();
  try {
    await initCa(state.dir, { sans: [], days: 1 });
    const refused = oneLine(/^The fleet CA ends on \S+ \S+Z, in less than a day, so it signs nothing more; make a new one \(muster ca init in a new state folder\)$/);
    await submitCsr(state.dir, agentCsr(state.dir, 'web01').pem, { hostNames: new Set(['web01']), source: { via: 'file' } });
    await assert.rejects(signPending(state.dir, ['web01']), refused);
    await assert.rejects(signOperator(state.dir, 'alice'), refused);
    await assert.rejects(renewBrokerCertificate(state.dir, { sans: [] }), refused);
  } finally {
    state.remove();
  }
});

test('an expired CA is refused with its end date, not with openssl\'s complaint', () => {
  const now = new Date('2026-12-02T06:00:00Z');
  assert.throws(() => checkCaLifetime(new Date('2026-12-02T05:57:00Z'), now),
    oneLine(/^The fleet CA expired on 2026-12-02 05:57:00Z; make a new one \(muster ca init in a new state folder\)$/));
  assert.throws(() => checkCaLifetime(new Date('2026-12-02T06:04:00Z'), now), oneLine(/in less than a day/));
  checkCaLifetime(new Date('2026-12-03T06:00:01Z'), now);
});

test('the CA certificate is backdated 5 minutes like its leaves, and is a CA that verifies itself', async () => {
  const state = tempState();
  try {
    const before = Date.now();
    await initCa(state.dir, { sans: [], days: 30 });
    const ca = new X509Certificate(read(caPaths(state.dir).cert));
    const start = Date.parse(ca.validFrom);
    // X.509 times have whole seconds.
    assert.ok(start <= before - backdateMs + 1000 && start >= before - backdateMs - 60_000, `starts ${ca.validFrom}`);
    assert.equal(ca.ca, true);
    assert.ok(ca.checkIssued(ca) && ca.verify(ca.publicKey), 'self-signed');
    assert.match(certText(caPaths(state.dir).cert), /CA:TRUE, pathlen:0[\s\S]*Certificate Sign, CRL Sign/);
    const broker = new X509Certificate(read(caPaths(state.dir).brokerCert));
    assert.ok(Date.parse(broker.validTo) <= Date.parse(ca.validTo), 'the broker outlives the CA');
  } finally {
    state.remove();
  }
});
