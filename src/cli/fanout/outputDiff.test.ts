import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, Status } from '../../run/outcome.js';
import { formatOutputDiff } from './outputDiff.js';

const outcome = (host: string, stdout: string, status: Status = 'ok', extra: Partial<Outcome> = {}): Outcome =>
  ({ host, status, exitCode: status === 'ok' ? 0 : null, stdout, stderr: '', durationMs: 1, ...extra });
const run = (outcomes: Outcome[]) => ({ outcomes, aborted: false, interrupted: false, durationMs: 5 });

test('formatOutputDiff: the largest group is the reference, each other group a unified diff against it; failures as gathered', () => {
  const text = formatOutputDiff(run([
    outcome('web1', 'a\nb\n'), outcome('web2', 'a\nc\n'), outcome('web3', 'a\nb\n'),
    outcome('web4', '', 'unreachable', { message: 'connection refused' }),
  ]), { color: false });
  assert.equal(text, [
    'stdout: 2 versions across 3 hosts',
    '  web[1,3] (2)  <- reference (largest group)',
    '  web2 (1)',
    '---------------',
    '--- web[1,3] (2)',
    '+++ web2 (1)',
    '@@ -1,2 +1,2 @@',
    ' a',
    '-b',
    '+c',
    '---------------',
    'web4 (1) unreachable: connection refused',
    '',
  ].join('\n'));
});

test('formatOutputDiff: the same everywhere says so; a host cannot drive the terminal through the diff', () => {
  assert.equal(formatOutputDiff(run([outcome('h1', 'x\n'), outcome('h2', 'x\n')]), { color: false }), 'stdout: the same on all 2 hosts that ran\n');
  const escaped = formatOutputDiff(run([outcome('h1', 'x\n'), outcome('h2', 'x\n'), outcome('h3', '\u001b]0;owned\u0007\n')]), { color: false });
  assert.match(escaped, /\+\\x1b\]0;owned\\x07/);
  assert.equal(escaped.includes('\u001b'), false);
});
