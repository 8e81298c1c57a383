import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { WatchSet, blockFor, defaultWaitMs, maxWaitMs } from './watches.js';

describe('blockFor (Consul blocking-query rules)', () => {
  const noJitter = (): number => 0;
  it('answers at once without an index, with index 0, or with any index but the current one', () => {
    assert.equal(blockFor(undefined, '30s', 5), 0);
    assert.equal(blockFor(0, '30s', 5), 0);
    assert.equal(blockFor(4, '30s', 5), 0);
    assert.equal(blockFor(9, '30s', 5), 0, 'an index from before a restart must not hang until the new server catches up');
  });
  it('blocks for wait (default 5m, capped at 10m) plus up to wait/16 of jitter', () => {
    assert.equal(blockFor(5, '30s', 5, noJitter), 30_000);
    assert.equal(blockFor(5, undefined, 5, noJitter), defaultWaitMs);
    assert.equal(blockFor(5, '1h', 5, noJitter), maxWaitMs);
    assert.equal(blockFor(5, '16s', 5, () => 0.999), 16_000 + 999);
  });
  it('refuses a wait it cannot read, even when it would not block', () => {
    assert.throws(() => blockFor(1, 'soon', 5), /Invalid wait "soon"/);
  });
});

describe('WatchSet', () => {
  it('release wakes every waiter at once and clears their timers', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const set = new WatchSet();
      const waits = Array.from({ length: 1000 }, () => set.wait(60_000));
      assert.equal(set.size, 1000);
      set.release();
      assert.deepEqual(new Set(await Promise.all(waits)), new Set(['changed']));
      assert.equal(set.size, 0);
    } finally {
      mock.timers.reset();
    }
  });
  it('a waiter times out after its wait, and an abort (client gone) removes it', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const set = new WatchSet();
      const timed = set.wait(1000);
      const controller = new AbortController();
      const aborted = set.wait(1000, { signal: controller.signal });
      mock.timers.tick(999);
      assert.equal(set.size, 2);
      controller.abort();
      assert.equal(await aborted, 'aborted');
      mock.timers.tick(1);
      assert.equal(await timed, 'timeout');
      assert.equal(set.size, 0);
    } finally {
      mock.timers.reset();
    }
  });
  it('close wakes every waiter and answers later waits at once (the server is stopping)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const set = new WatchSet();
      const early = set.wait(60_000);
      set.close();
      assert.equal(await early, 'changed');
      assert.equal(await set.wait(60_000), 'changed');
      assert.equal(set.size, 0);
    } finally {
      mock.timers.reset();
    }
  });
});
