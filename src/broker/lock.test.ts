/**
 * The broker folder's lock: a refresh reads the CA's index only once it holds the lock, so a
 * refresh racing a revocation cannot re-pin the revoked key; two `broker up` at once start
 * the node once and leave its pid file in place.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { brokerDir } from '../ca/paths.js';
import { readIndex } from '../ca/records.js';
import { withFileLock } from '../core/fileLock.js';
import { brokerDown, brokerStatus, brokerUp, refreshBrokers, writeBrokerFiles } from './process.js';
import { makeCaTestState } from './testState.test-helper.js';
import { freeBasePorts, testInventory } from './testInventory.test-helper.js';

async function spkiOf(stateDir: string, name: string): Promise<string> {
  const record = (await readIndex(stateDir)).certificates.find((candidate) => candidate.name === name);
  assert.ok(record, `no record of ${name}`);
  return record.spki;
}

describe('the broker lock', () => {
  it('a refresh started before a revocation reads the index after it (the revoked key is not pinned again)', async () => {
    const state = await makeCaTestState({ agents: ['web01'] });
    try {
      const inventory = await testInventory(state.stateDir, await freeBasePorts(1));
      await writeBrokerFiles(inventory, state.stateDir);
      const auth = join(brokerDir(state.stateDir), 'auth.conf');
      const spki = await spkiOf(state.stateDir, 'web01');
      assert.match(readFileSync(auth, 'utf8'), new RegExp(spki), 'pinned before the revocation');
      let refresh: Promise<unknown> | undefined;
      // Another muster holds the folder (the revocation's own refresh, say): this refresh waits for it.
      await withFileLock(brokerDir(state.stateDir), async () => {
        refresh = refreshBrokers(inventory, state.stateDir);
        await state.revoke('web01');
      });
      await refresh;
      assert.doesNotMatch(readFileSync(auth, 'utf8'), new RegExp(spki), 'the revoked key is pinned again');
    } finally {
      state.remove();
    }
  });

  it('two broker up at once start the node once and keep its pid file', async () => {
    const state = await makeCaTestState({ agents: ['web01'] });
    try {
      const inventory = await testInventory(state.stateDir, await freeBasePorts(1));
      const results = await Promise.allSettled([brokerUp(inventory, state.stateDir), brokerUp(inventory, state.stateDir)]);
      assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled'], JSON.stringify(results.map((result) => result.status === 'rejected' ? String(result.reason) : '')));
      const actions = results.flatMap((result) => result.status === 'fulfilled' ? result.value.map((node) => node.action) : []).sort();
      assert.deepEqual(actions, ['kept', 'started']);
      const [node] = await brokerStatus(state.stateDir);
      assert.equal(node?.alive, true, 'the running node lost its pid file');
    } finally {
      await brokerDown(state.stateDir);
      state.remove();
    }
  });
});
