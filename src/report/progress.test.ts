import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../run/outcome.js';
import { Progress } from './progress.js';

const done = (index: number, status: Outcome['status'], total: number) => ({
  type: 'host-done' as const, index, done: index + 1, total,
  outcome: { host: `h${index}`, status, exitCode: 0, stdout: '', stderr: '', durationMs: 1 },
});

test('Progress: redraws in place at most every interval, always for the last host, and clears', () => {
  const writes: string[] = [];
  let clock = 0;
  const progress = new Progress({ stream: { write: (text: string) => writes.push(text), columns: 80 }, total: 3, now: () => clock });
  progress.onEvent({ type: 'host-started', host: 'h0', index: 0 });
  progress.onEvent({ type: 'host-started', host: 'h1', index: 1 });
  assert.equal(writes.length, 1);
  clock = 50;
  progress.onEvent(done(0, 'ok', 3));
  assert.equal(writes.length, 1, 'throttled');
  clock = 150;
  progress.onEvent(done(1, 'failed', 3));
  assert.equal(writes.at(-1), '\r\u001b[K[2/3] 1 ok, 1 failed');
  progress.onEvent({ type: 'host-started', host: 'h2', index: 2 });
  progress.onEvent(done(2, 'ok', 3));
  assert.equal(writes.at(-1), '\r\u001b[K[3/3] 2 ok, 1 failed', 'the last host always redraws');
  progress.clear();
  assert.equal(writes.at(-1), '\r\u001b[K');
});

test('Progress: shows running hosts', () => {
  const progress = new Progress({ stream: { write: () => true }, total: 10, now: () => 0 });
  progress.onEvent({ type: 'host-started', host: 'h0', index: 0 });
  assert.equal(progress.line(), '[ 0/10] starting · 1 running');
});
