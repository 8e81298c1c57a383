import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { NotFoundError } from '../core/errors.js';
import { agentCsr, tempState } from './ca.test-helper.js';
import { CaError } from './errors.js';
import { initCa } from './init.js';
import { listCa, showCertificate } from './list.js';
import { submitCsr } from './pending.js';
import { activeCertificates, readIndex } from './records.js';
import { revokeCertificate } from './revoke.js';
import { signOperator, signPending } from './sign.js';

const hostNames = new Set(['web01', 'web02', 'short']);

// Every test gets a CA of its own, with web01, web02 and alice signed: none depends on another.
let state: ReturnType<typeof tempState>;
beforeEach(async () => {
  state = tempState();
  await initCa(state.dir, { sans: [] });
  for (const host of ['web01', 'web02']) await submitCsr(state.dir, agentCsr(state.dir, host).pem, { hostNames, source: { via: 'file' } });
  await signPending(state.dir, ['web01', 'web02']);
  await signOperator(state.dir, 'alice');
});
afterEach(() => state.remove());

function activeNames(index: Awaited<ReturnType<typeof readIndex>>, now?: Date): string[] {
  return activeCertificates(index, now).map((record) => `${record.kind}:${record.name}`).sort();
}

test('revoke marks the record, keeps it, and activeCertificates leaves it out', async () => {
  assert.deepEqual(activeNames(await readIndex(state.dir)), ['agent:web01', 'agent:web02', 'operator:alice']);
  const [revoked] = await revokeCertificate(state.dir, 'agent', 'web01');
  assert.ok(revoked?.revokedAt);
  const index = await readIndex(state.dir);
  assert.equal(index.certificates.find((record) => record.name === 'web01')?.revokedAt, revoked.revokedAt);
  assert.deepEqual(activeNames(index), ['agent:web02', 'operator:alice']);
  const shown = await showCertificate(state.dir, 'agent', 'web01');
  assert.equal(shown.status, 'revoked');
  assert.equal(shown.subject, 'CN=web01,OU=agent,O=muster');
  await assert.rejects(revokeCertificate(state.dir, 'agent', 'web01'), (error: unknown) => error instanceof CaError && /revoked already/.test(error.message));
  await assert.rejects(revokeCertificate(state.dir, 'agent', 'alice'), (error: unknown) => error instanceof NotFoundError && /an operator\? add --operator/.test(error.message));
  await revokeCertificate(state.dir, 'operator', 'alice');
  assert.deepEqual(activeNames(await readIndex(state.dir)), ['agent:web02']);
});

test('activeCertificates leaves out a certificate once it has expired', async () => {
  await submitCsr(state.dir, agentCsr(state.dir, 'short').pem, { hostNames, source: { via: 'file' } });
  const notAfter = new Date(Date.now() + 2000);
  const [record] = await signPending(state.dir, ['short'], { notAfter });
  assert.ok(record);
  // Exact to the second: openssl ca writes the end date given.
  assert.equal(record.notAfter, new Date(Math.floor(notAfter.getTime() / 1000) * 1000).toISOString());
  const index = await readIndex(state.dir);
  assert.ok(activeNames(index).includes('agent:short'));
  // The clock is injected to check the rule; the wait below checks the certificate really ends.
  assert.ok(!activeNames(index, new Date(Date.parse(record.notAfter))).includes('agent:short'));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(record.notAfter) - Date.now()) + 50));
  assert.deepEqual(activeNames(await readIndex(state.dir)), ['agent:web01', 'agent:web02', 'operator:alice']);
  assert.equal((await listCa(state.dir)).certificates.find((view) => view.name === 'short')?.status, 'expired');
});

test('show says when a name has only a pending CSR', async () => {
  const other = tempState();
  try {
    await initCa(other.dir, { sans: [] });
    await submitCsr(other.dir, agentCsr(other.dir, 'web01').pem, { hostNames, source: { via: 'file' } });
    await assert.rejects(showCertificate(other.dir, 'agent', 'web01'), /its CSR is pending \(muster ca sign web01\)/);
  } finally {
    other.remove();
  }
});
