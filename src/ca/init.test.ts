import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { afterEach, beforeEach, test } from 'node:test';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { agentCsr, certText, opensslVerify, read, tempState } from './ca.test-helper.js';
import { CaError } from './errors.js';
import { initCa, renewBrokerCertificate } from './init.js';
import { caPaths } from './paths.js';
import { submitCsr } from './pending.js';
import { signPending } from './sign.js';

// Every test gets a CA of its own: none depends on what another left behind.
let state: ReturnType<typeof tempState>;
let paths: ReturnType<typeof caPaths>;
let made: Awaited<ReturnType<typeof initCa>>;

beforeEach(async () => {
  state = tempState();
  paths = caPaths(state.dir);
  made = await initCa(state.dir, { sans: ['10.1.2.3', 'broker.example.lan', '[::1]'], days: 30 });
});
afterEach(() => state.remove());

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

test('init makes the CA key 0600, its folders 0700, and a CA certificate that is one', () => {
  assert.equal(mode(paths.key), 0o600);
  assert.equal(mode(paths.brokerKey), 0o600);
  for (const dir of [paths.dir, paths.pending, paths.agents, paths.operators]) assert.equal(mode(dir), 0o700, dir);
  const ca = new X509Certificate(read(paths.cert));
  assert.equal(ca.ca, true);
  assert.match(ca.subject, /O=muster/);
  const text = certText(paths.cert);
  assert.match(text, /CA:TRUE, pathlen:0/);
  assert.match(text, /Certificate Sign/);
  assert.equal(made.fingerprint.length, 64);
  // --days 30: the CA ends in about 30 days.
  const days = (Date.parse(made.notAfter) - Date.now()) / 86_400_000;
  assert.ok(days > 29 && days <= 30.01, String(days));
});

test('the broker certificate names the given addresses and loopback, serves and clients, and is issued by the CA', () => {
  const text = certText(paths.brokerCert);
  assert.match(text, /IP Address:10\.1\.2\.3/);
  assert.match(text, /DNS:broker\.example\.lan/);
  assert.match(text, /IP Address:0:0:0:0:0:0:0:1/);
  assert.match(text, /IP Address:127\.0\.0\.1/);
  assert.match(text, /DNS:localhost/);
  assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(text, /CA:FALSE/);
  assert.match(opensslVerify(paths.cert, paths.brokerCert), /: OK$/);
  const broker = new X509Certificate(read(paths.brokerCert));
  assert.match(broker.subject, /CN=broker/);
  // Never outlives the CA.
  assert.ok(Date.parse(broker.validTo) <= Date.parse(made.notAfter) + 1000);
});

test('openssl verify accepts an agent certificate the CA signed', async () => {
  const { pem } = agentCsr(state.dir, 'web01');
  await submitCsr(state.dir, pem, { hostNames: new Set(['web01']), source: { via: 'file' } });
  const [record] = await signPending(state.dir, ['web01']);
  assert.ok(record);
  assert.match(opensslVerify(paths.cert, record.path), /: OK$/);
  const text = certText(record.path);
  assert.match(text, /TLS Web Client Authentication/);
  assert.doesNotMatch(text, /Server Authentication/);
  assert.match(text, /CA:FALSE/);
  assert.equal(new X509Certificate(read(record.path)).subject, 'O=muster\nOU=agent\nCN=web01');
  // 365 days asked (the default), but the CA ends in 30: the certificate ends with it.
  assert.equal(record.notAfter, made.notAfter);
});

test('a second init is refused and changes nothing', async () => {
  const before = read(paths.cert);
  const keyBefore = read(paths.key);
  await assert.rejects(initCa(state.dir, { sans: [] }), (error: unknown) =>
    error instanceof CaError && /already in .*nothing was changed/.test(error.message) && !error.message.includes('\n'));
  assert.equal(read(paths.cert), before);
  assert.equal(read(paths.key), keyBefore);
});

test('a bad SAN is refused before anything is made', async () => {
  const other = tempState();
  try {
    await assert.rejects(initCa(other.dir, { sans: ['a,b'] }), /Invalid subject alternative name "a,b"/);
    await assert.rejects(initCa(other.dir, { sans: ['$(x)'] }), /Invalid subject alternative name/);
  } finally {
    other.remove();
  }
});

test('the broker certificate can be made again with new names, by the same CA', async () => {
  const renewed = await renewBrokerCertificate(state.dir, { sans: ['10.9.9.9'] });
  assert.deepEqual(renewed.altNames, ['IP:10.9.9.9', 'IP:127.0.0.1', 'DNS:localhost']);
  assert.match(certText(paths.brokerCert), /IP Address:10\.9\.9\.9/);
  assert.match(opensslVerify(paths.cert, paths.brokerCert), /: OK$/);
  assert.equal(mode(paths.brokerKey), 0o600);
  assert.ok(new X509Certificate(read(paths.brokerCert)).checkPrivateKey(createPrivateKey(read(paths.brokerKey))), 'the new key goes with the new certificate');
});
