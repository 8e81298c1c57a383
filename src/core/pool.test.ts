/** pooledSettled: order, the limit, abort, and a throwing function; pooledAll: the first failure ends it; checkLimit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLimit, pooledAll, pooledSettled } from './pool.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('pooledSettled: results in input order, whatever order items finish in', async () => {
  // Later items finish first: item i waits (5 - i) ticks.
  const results = await pooledSettled([0, 1, 2, 3, 4], async (item, index) => {
    for (let i = 0; i < 5 - item; i += 1) await tick();
    return `${item}@${index}`;
  }, { limit: 5 });
  assert.deepEqual(results, ['0@0', '1@1', '2@2', '3@3', '4@4'].map((value) => ({ status: 'fulfilled', value })));
});

test('pooledSettled: never more than `limit` running at once, and the limit is used', async () => {
  let running = 0;
  let most = 0;
  const results = await pooledSettled(Array.from({ length: 20 }, (_, i) => i), async (item) => {
    running += 1;
    most = Math.max(most, running);
    for (let i = 0; i < (item % 3) + 1; i += 1) await tick();
    running -= 1;
    return item;
  }, { limit: 4 });
  assert.equal(most, 4);
  assert.equal(results.length, 20);
  assert.ok(results.every((result) => result.status === 'fulfilled'));
});

test('pooledSettled: an abort starts no further item; running ones finish; the rest are skipped', async () => {
  const controller = new AbortController();
  const started: number[] = [];
  const results = await pooledSettled([0, 1, 2, 3, 4, 5], async (item) => {
    started.push(item);
    if (item === 2) controller.abort();
    await tick();
    return item;
  }, { limit: 2, signal: controller.signal });
  assert.deepEqual(started, [0, 1, 2]);
  assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'fulfilled', 'skipped', 'skipped', 'skipped']);
});

test('pooledSettled: an already aborted signal starts nothing', async () => {
  let calls = 0;
  const results = await pooledSettled([1, 2], async () => { calls += 1; }, { limit: 2, signal: AbortSignal.abort() });
  assert.equal(calls, 0);
  assert.deepEqual(results, [{ status: 'skipped' }, { status: 'skipped' }]);
});

test('pooledSettled: a throwing fn is reported and frees its slot for the next item', async () => {
  const boom = new Error('boom');
  // One slot: if the throw (sync or async) kept it, nothing after would run.
  const results = await pooledSettled([0, 1, 2, 3], (item) => {
    if (item === 0) throw boom;
    if (item === 1) return Promise.reject(boom);
    return Promise.resolve(item * 10);
  }, { limit: 1 });
  assert.deepEqual(results, [
    { status: 'rejected', reason: boom },
    { status: 'rejected', reason: boom },
    { status: 'fulfilled', value: 20 },
    { status: 'fulfilled', value: 30 },
  ]);
});

test('pooledSettled: no items, no results; a bad limit names the option', async () => {
  assert.deepEqual(await pooledSettled([], async () => 1, { limit: 3 }), []);
  await assert.rejects(pooledSettled([1], async () => 1, { limit: 0 }), { name: 'OptionError', option: 'limit', message: 'Invalid limit 0: give a whole number of at least 1' });
});

test('pooledAll: the first failure is thrown once the running items have settled, and no item starts after it', async () => {
  const first = new Error('first');
  const started: number[] = [];
  const settled: number[] = [];
  // Three at once: 0 fails first (one tick), 2 fails later (two ticks), 1 succeeds last (three ticks).
  const ticks = [1, 3, 2];
  const pending = pooledAll([0, 1, 2, 3, 4, 5], async (item) => {
    started.push(item);
    for (let i = 0; i < (ticks[item] ?? 1); i += 1) await tick();
    settled.push(item);
    if (item === 0) throw first;
    if (item === 2) throw new Error('second');
  }, { limit: 3 });
  await assert.rejects(pending, first);
  assert.deepEqual(started, [0, 1, 2], 'no item starts after the first failure');
  assert.deepEqual(settled, [0, 2, 1], 'the running items settled before the failure was thrown');
});

test('pooledAll: resolves once every item is done; an abort starts no further item, without failing', async () => {
  const done: number[] = [];
  await pooledAll([0, 1, 2, 3], async (item) => { await tick(); done.push(item); }, { limit: 2 });
  assert.deepEqual(done.sort(), [0, 1, 2, 3]);
  const controller = new AbortController();
  const started: number[] = [];
  await pooledAll([0, 1, 2, 3], async (item) => {
    started.push(item);
    if (item === 0) controller.abort();
    await tick();
  }, { limit: 1, signal: controller.signal });
  assert.deepEqual(started, [0]);
  await assert.rejects(pooledAll([1], async () => undefined, { limit: 0 }), { name: 'OptionError', option: 'limit' });
});

test('checkLimit: a whole number of at least 1, the error naming the caller\'s option', () => {
  checkLimit(1, 'forks');
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => checkLimit(bad, 'parallel'), { name: 'OptionError', option: 'parallel', message: `Invalid parallel ${bad}: give a whole number of at least 1` });
  }
});
