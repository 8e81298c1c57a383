/**
 * One key, one identity among requests not yet signed: two pending CSRs with one key are not
 * both signed, in one `ca sign`, and submitCsr refuses a key another pending entry uses.
 * Each test makes its own state folder.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { agentCsr, makeTestCsr, tempState } from './ca.test-helper.js';
import { CsrRefusedError } from './errors.js';
import { initCa } from './init.js';
import { listCa } from './list.js';
import { caPaths } from './paths.js';
import { submitCsr } from './pending.js';
import { readIndex } from './records.js';
import { signPending } from './sign.js';

const hostNames = new Set(['web01', 'web02']);
const source = { via: 'file' as const };

test('submitCsr refuses a key that another name\'s pending CSR uses', async () => {
  const state = tempState();
  try {
    await initCa(state.dir, { sans: [] });
    const { key, pem } = agentCsr(state.dir, 'web01');
    await submitCsr(state.dir, pem, { hostNames, source });
    await assert.rejects(submitCsr(state.dir, makeTestCsr(key, '/O=muster/OU=agent/CN=web02'), { hostNames, source }), (error: unknown) =>
      error instanceof CsrRefusedError && /^Refused the CSR for web02: its key sha256:\S+ is the key of the pending CSR for web01; every identity needs its own key$/.test(error.message));
    assert.deepEqual((await listCa(state.dir)).pending.map((entry) => entry.name), ['web01']);
    // The same name again with the same key is a resubmission, not a second identity.
    await submitCsr(state.dir, pem, { hostNames, source });
  } finally {
    state.remove();
  }
});

test('one ca sign does not sign two pending CSRs with one key', async () => {
  const state = tempState();
  try {
    await initCa(state.dir, { sans: [] });
    const { key, pem } = agentCsr(state.dir, 'web01');
    const first = await submitCsr(state.dir, pem, { hostNames, source });
    // web02's pending files put there by hand (or by an older muster): the same key, another name.
    const pending = caPaths(state.dir).pending;
    writeFileSync(join(pending, 'web02.csr'), makeTestCsr(key, '/O=muster/OU=agent/CN=web02'));
    writeFileSync(join(pending, 'web02.json'), JSON.stringify({ ...first, name: 'web02', csr: join(pending, 'web02.csr') }));
    await assert.rejects(signPending(state.dir, ['web01', 'web02'], { hostNames }), (error: unknown) =>
      error instanceof CsrRefusedError && /^Refused the pending CSR for web02: its key sha256:\S+ is also the key of the pending CSR for web01; every identity needs its own key$/.test(error.message));
    assert.deepEqual((await readIndex(state.dir)).certificates, [], 'a refusal signs nothing');
  } finally {
    state.remove();
  }
});
