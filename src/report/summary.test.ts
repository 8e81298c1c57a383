import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../run/outcome.js';
import { formatSummary } from './summary.js';
import { hostRecord, summaryRecord } from './jsonLines.js';

const many = (n: number, status: Outcome['status']): Outcome[] =>
  Array.from({ length: n }, (_, i) => ({ host: `${status}${i}`, status, exitCode: null, stdout: '', stderr: '', durationMs: 1.4 }));

test('formatSummary: the exact line of DESIGN.md', () => {
  const outcomes = [...many(97, 'ok'), ...many(2, 'failed'), ...many(1, 'unreachable')];
  assert.equal(formatSummary({ outcomes, durationMs: 3200 }), '100 hosts: 97 ok, 2 failed, 1 unreachable in 3.2s');
});

test('formatSummary: one host, skipped hosts, and why the run stopped', () => {
  assert.equal(formatSummary({ outcomes: many(1, 'ok'), durationMs: 250 }), '1 host: 1 ok in 250ms');
  assert.equal(
    formatSummary({ outcomes: [...many(2, 'ok'), ...many(3, 'failed'), ...many(5, 'skipped')], durationMs: 1400, aborted: true, stopMessage: 'failure threshold exceeded (3 > 2)' }),
    '10 hosts: 2 ok, 5 skipped, 3 failed in 1.4s (aborted: failure threshold exceeded (3 > 2))',
  );
  assert.equal(formatSummary({ outcomes: [...many(1, 'failed'), ...many(1, 'skipped')], durationMs: 900, interrupted: true }), '2 hosts: 1 skipped, 1 failed in 900ms (interrupted)');
  assert.equal(formatSummary({ outcomes: [], durationMs: 0 }), '0 hosts: nothing to do in 0ms');
});

test('JSON Lines records: a host record per outcome, a summary with every count and the exit code', () => {
  const [first] = many(1, 'timeout');
  assert.ok(first);
  assert.deepEqual(hostRecord({ ...first, message: 'timed out after 2.0s' }), {
    type: 'host', host: 'timeout0', status: 'timeout', exitCode: null, stdout: '', stderr: '', durationMs: 1, message: 'timed out after 2.0s',
  });
  assert.deepEqual(summaryRecord({ outcomes: [...many(2, 'ok'), ...many(1, 'unreachable')], durationMs: 1234.6 }, 1), {
    type: 'summary', hosts: 3, ok: 2, changed: 0, failed: 0, unreachable: 1, timeout: 0, skipped: 0,
    durationMs: 1235, aborted: false, interrupted: false, exitCode: 1,
  });
});
