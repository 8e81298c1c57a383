import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { agentCsr, makeTestCsr, makeTestKey, tempState } from './ca.test-helper.js';
import { checkCsr } from './csr.js';
import { CsrRefusedError } from './errors.js';

const state = tempState();
after(() => state.remove());
const key = makeTestKey(state.dir, 'good');

/** Rejects with a one-line CsrRefusedError matching `message`. */
async function refused(text: string, message: RegExp): Promise<void> {
  await assert.rejects(checkCsr(text, 'x.csr'), (error: unknown) => {
    assert.ok(error instanceof CsrRefusedError, String(error));
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), error.message);
    return true;
  });
}

test('a CSR made as muster agent enroll makes it passes, with its name and key digest', async () => {
  const { pem } = agentCsr(state.dir, 'web01.dc1');
  const checked = await checkCsr(pem);
  assert.equal(checked.name, 'web01.dc1');
  assert.match(checked.spki, /^[0-9a-f]{64}$/);
  // Same key, same digest; CRLF line ends are fine.
  const again = await checkCsr(makeTestCsr(key, '/O=muster/OU=agent/CN=web02').replace(/\n/g, '\r\n'));
  const other = await checkCsr(makeTestCsr(key, '/O=muster/OU=agent/CN=web03'));
  assert.equal(again.spki, other.spki);
  assert.notEqual(again.spki, checked.spki);
});

test('not a PEM CSR is refused', async () => {
  await refused('hello', /not a PEM certificate request/);
  await refused('', /not a PEM certificate request/);
  const pem = makeTestCsr(key, '/O=muster/OU=agent/CN=web01');
  await refused(`${pem}${pem}`, /not a PEM certificate request/);
  await refused(pem.replace('CERTIFICATE REQUEST-----\n', 'CERTIFICATE REQUEST-----\n!!'), /not a PEM certificate request/);
  await refused('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', /openssl cannot read it/);
  await refused('x'.repeat(20_000), /over 16384 bytes/);
});

test('a CSR whose signature does not verify is refused (openssl exits 0 for it)', async () => {
  const pem = makeTestCsr(key, '/O=muster/OU=agent/CN=web01');
  const lines = pem.trim().split('\n');
  const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
  body[body.length - 3] = (body[body.length - 3] ?? 0) ^ 0x01; // inside the signature
  const broken = [lines[0], ...(body.toString('base64').match(/.{1,64}/g) ?? []), lines[lines.length - 1]].join('\n');
  await refused(broken, /signature does not verify/);
});

test('a subject other than exactly /O=muster/OU=agent/CN=NAME is refused', async () => {
  await refused(makeTestCsr(key, '/O=muster/OU=operator/CN=web01'), /subject is "CN=web01,OU=operator,O=muster"/);
  await refused(makeTestCsr(key, '/CN=web01/OU=agent/O=muster'), /must be exactly CN=HOST,OU=agent,O=muster/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=web01/CN=web02'), /must be exactly/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=web01+UID=x'), /must be exactly/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent'), /must be exactly/);
  await refused(makeTestCsr(key, '/O=evil/OU=agent/CN=web01'), /must be exactly/);
});

test('a CN with odd characters is refused', async () => {
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=web\\,01'), /must be exactly|characters/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=..\\/etc'), /characters a certificate name may not have/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=web 01'), /characters/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=wéb01'), /must be exactly|characters/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=web*'), /characters/);
  await refused(makeTestCsr(key, '/O=muster/OU=agent/CN=.hidden'), /characters/);
});

test('a key other than ECDSA P-256 is refused', async () => {
  await refused(makeTestCsr(makeTestKey(state.dir, 'rsa', 'rsa'), '/O=muster/OU=agent/CN=web01'), /its key is rsa 2048 bits; agents use ECDSA P-256/);
  await refused(makeTestCsr(makeTestKey(state.dir, 'p384', 'p384'), '/O=muster/OU=agent/CN=web01'), /its key is ec secp384r1/);
});
