import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { NotFoundError, OptionError } from '../core/errors.js';
import { agentCsr, makeTestCsr, opensslVerify, read, tempState } from './ca.test-helper.js';
import { CaError, CsrRefusedError } from './errors.js';
import { initCa } from './init.js';
import { listCa } from './list.js';
import { caPaths, operatorFiles } from './paths.js';
import { submitCsr } from './pending.js';
import { readIndex } from './records.js';
import { revokeCertificate } from './revoke.js';
import { signOperator, signPending } from './sign.js';

const hostNames = new Set(['web01', 'web02', 'web03', 'web04', 'db1']);
const source = { via: 'file' as const };

// Every test gets a CA of its own: none depends on what another left behind.
let state: ReturnType<typeof tempState>;
let paths: ReturnType<typeof caPaths>;
beforeEach(async () => {
  state = tempState();
  paths = caPaths(state.dir);
  await initCa(state.dir, { sans: [] });
});
afterEach(() => state.remove());

/** Rejects with a one-line error of `type` matching `message`. */
async function refused(promise: Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof type, String(error));
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), error.message);
    return true;
  });
}

test('a CSR goes pending with its source, then signing writes the certificate, the record, and clears pending', async () => {
  const { pem } = agentCsr(state.dir, 'web01');
  const entry = await submitCsr(state.dir, pem, { hostNames, source: { via: 'ssh', address: '192.0.2.11' } });
  assert.equal(entry.name, 'web01');
  assert.deepEqual(entry.source, { via: 'ssh', address: '192.0.2.11' });
  assert.ok(existsSync(join(paths.pending, 'web01.csr')));
  assert.deepEqual((await listCa(state.dir)).pending.map((pending) => [pending.name, pending.source.via]), [['web01', 'ssh']]);
  const [record] = await signPending(state.dir, ['web01']);
  assert.ok(record);
  assert.equal(record.path, join(paths.agents, 'web01.crt'));
  const cert = new X509Certificate(read(record.path));
  assert.equal(record.serial, cert.serialNumber.toLowerCase());
  assert.equal(record.spki, entry.spki);
  assert.equal(record.fingerprint, cert.fingerprint256.replace(/:/g, '').toLowerCase());
  assert.equal(record.notAfter, new Date(cert.validTo).toISOString());
  assert.ok(Date.parse(record.notBefore) <= Date.now());
  assert.equal((await listCa(state.dir)).pending.length, 0);
  assert.ok(!existsSync(join(paths.pending, 'web01.csr')) && !existsSync(join(paths.pending, 'web01.json')));
  const index = await readIndex(state.dir);
  assert.deepEqual(index.certificates.map((certificate) => certificate.serial), [record.serial]);
});

test('a CSR for a name not in the inventory, or not the name expected, is refused', async () => {
  await refused(submitCsr(state.dir, agentCsr(state.dir, 'web99').pem, { hostNames, source }), CsrRefusedError, /CSR for web99: no host of that name in the inventory/);
  await refused(submitCsr(state.dir, agentCsr(state.dir, 'web02').pem, { hostNames, source: { via: 'file', address: 'web03.csr' }, expectedName: 'web03' }),
    CsrRefusedError, /Refused web03\.csr: it is for web02, not web03/);
  assert.equal((await listCa(state.dir)).pending.length, 0);
});

test('a CSR with another key than the signed one is refused until revoked; then the new key is signed', async () => {
  const first = agentCsr(state.dir, 'web02', 'web02-a');
  await submitCsr(state.dir, first.pem, { hostNames, source });
  const [old] = await signPending(state.dir, ['web02']);
  assert.ok(old);
  const second = agentCsr(state.dir, 'web02', 'web02-b');
  await refused(submitCsr(state.dir, second.pem, { hostNames, source }), CsrRefusedError,
    new RegExp(`CSR for web02 does not match its signed key sha256:${old.spki.slice(0, 16)}…; revoke web02 first \\(muster ca revoke web02\\)`));
  await revokeCertificate(state.dir, 'agent', 'web02');
  // The revoked key never comes back...
  await refused(submitCsr(state.dir, first.pem, { hostNames, source }), CsrRefusedError, /revoked on .*never signed again/);
  // ...the new one is welcome.
  await submitCsr(state.dir, second.pem, { hostNames, source });
  const [fresh] = await signPending(state.dir, ['web02']);
  assert.ok(fresh);
  assert.notEqual(fresh.spki, old.spki);
  assert.ok(new X509Certificate(read(fresh.path)).checkPrivateKey(createPrivateKey(read(second.key))));
});

test('the same key again is a renewal: a new certificate, the old one superseded', async () => {
  const { key, pem } = agentCsr(state.dir, 'web03');
  await submitCsr(state.dir, pem, { hostNames, source });
  const [first] = await signPending(state.dir, ['web03']);
  await submitCsr(state.dir, makeTestCsr(key, '/O=muster/OU=agent/CN=web03'), { hostNames, source });
  const [renewed] = await signPending(state.dir, ['web03'], { days: 30 });
  assert.ok(first && renewed);
  assert.notEqual(renewed.serial, first.serial);
  const views = (await listCa(state.dir)).certificates.filter((view) => view.name === 'web03');
  assert.deepEqual(views.map((view) => view.status), ['superseded', 'active']);
  assert.ok(Math.abs(Date.parse(renewed.notAfter) - (Date.now() + 30 * 86_400_000)) < 120_000);
});

test('one key is one identity: a key signed for a host is refused for another', async () => {
  const { key } = agentCsr(state.dir, 'web04');
  await submitCsr(state.dir, makeTestCsr(key, '/O=muster/OU=agent/CN=web04'), { hostNames, source });
  await signPending(state.dir, ['web04']);
  await refused(submitCsr(state.dir, makeTestCsr(key, '/O=muster/OU=agent/CN=db1'), { hostNames, source }), CsrRefusedError, /already signed for agent web04/);
});

test('signing rechecks the pending file: a CSR naming another host than its file name is refused, and nothing is signed', async () => {
  await submitCsr(state.dir, agentCsr(state.dir, 'db1').pem, { hostNames, source });
  // Someone puts web01's name on db1's pending file by hand.
  writeFileSync(join(paths.pending, 'db1.csr'), agentCsr(state.dir, 'web01', 'web01-x').pem);
  await refused(signPending(state.dir, ['db1']), CsrRefusedError, /pending CSR .*db1\.csr: it is for web01, not db1/);
  assert.deepEqual((await readIndex(state.dir)).certificates, [], 'nothing is signed');
  await refused(signPending(state.dir, ['nothere']), NotFoundError, /No pending CSR named "nothere"/);
  await refused(signPending(state.dir, ['../x']), CaError, /Invalid host name/);
});

test('an operator gets a key (0600) and a certificate; signing again renews with the same key; revoked, a new key', async () => {
  const files = operatorFiles(state.dir, 'alice');
  const first = await signOperator(state.dir, 'alice');
  assert.equal(statSync(files.key).mode & 0o777, 0o600);
  assert.match(opensslVerify(paths.cert, files.cert), /: OK$/);
  assert.equal(new X509Certificate(read(files.cert)).subject, 'O=muster\nOU=operator\nCN=alice');
  const renewed = await signOperator(state.dir, 'alice');
  assert.equal(renewed.spki, first.spki);
  await revokeCertificate(state.dir, 'operator', 'alice');
  const fresh = await signOperator(state.dir, 'alice');
  assert.notEqual(fresh.spki, first.spki);
  assert.ok(new X509Certificate(read(files.cert)).checkPrivateKey(createPrivateKey(read(files.key))));
  await refused(signOperator(state.dir, 'bad/name'), CaError, /Invalid operator name/);
});

test('bad validity options are refused', async () => {
  await refused(signOperator(state.dir, 'bob', { days: 0 }), OptionError, /Invalid days 0/);
  await refused(signOperator(state.dir, 'bob', { notAfter: new Date(Date.now() - 1000) }), OptionError, /must be in the future/);
});

test('the record\'s spki is what openssl says the public key\'s digest is (nats-server pinned_certs)', async () => {
  await submitCsr(state.dir, agentCsr(state.dir, 'web01').pem, { hostNames, source });
  await signPending(state.dir, ['web01']);
  const [record] = (await readIndex(state.dir)).certificates;
  assert.ok(record);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], {
    input: execFileSync('openssl', ['x509', '-in', record.path, '-noout', '-pubkey']),
  });
  const cert = execFileSync('openssl', ['x509', '-in', record.path, '-outform', 'DER']);
  assert.equal(record.spki, createHash('sha256').update(der).digest('hex'));
  assert.equal(record.fingerprint, createHash('sha256').update(cert).digest('hex'));
});

test('signings at once lose no record (one lock around every change)', async () => {
  const names = ['op1', 'op2', 'op3', 'op4'];
  await Promise.all(names.map((name) => signOperator(state.dir, name)));
  const recorded = (await readIndex(state.dir)).certificates.map((record) => record.name);
  for (const name of names) assert.ok(recorded.includes(name), name);
});

test('an edited pending entry cannot point the signer at another file', async () => {
  const pending = await submitCsr(state.dir, agentCsr(state.dir, 'db1').pem, { hostNames, source });
  // A decoy outside pending/: db1's name with another key. Read by the signer, it would be
  // refused (its key is not the recorded one), or signed as db1 with the wrong key.
  const decoy = join(state.dir, 'decoy.csr');
  writeFileSync(decoy, agentCsr(state.dir, 'db1', 'db1-decoy').pem);
  const entryFile = join(paths.pending, 'db1.json');
  writeFileSync(entryFile, JSON.stringify({ ...JSON.parse(read(entryFile)) as object, csr: decoy, name: 'web01' }));
  const [entry] = (await listCa(state.dir)).pending.filter((candidate) => candidate.name === 'db1');
  assert.equal(entry?.csr, join(paths.pending, 'db1.csr'));
  const [record] = await signPending(state.dir, ['db1']);
  assert.equal(record?.name, 'db1');
  assert.equal(record?.spki, pending.spki, 'signed the key of a file outside pending/');
  const cert = new X509Certificate(read(record?.path ?? ''));
  assert.equal(record?.spki, createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
});
