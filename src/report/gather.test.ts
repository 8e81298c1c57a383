import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../run/outcome.js';
import { gather } from './gather.js';
import { formatGathered } from './display.js';

const outcome = (host: string, status: Outcome['status'], stdout: string, extra: Partial<Outcome> = {}): Outcome => ({
  host, status, exitCode: status === 'ok' ? 0 : null, stdout, stderr: '', durationMs: 5, ...extra,
});

test('gather: identical results form one block with the folded host list; failures last', () => {
  const outcomes = [
    outcome('web01', 'ok', '6.1\n'),
    outcome('web02', 'unreachable', '', { message: 'web02: connection refused' }),
    outcome('web03', 'ok', '6.1\n'),
    outcome('web04', 'failed', '', { exitCode: 2, stderr: 'nope\n' }),
    outcome('web05', 'ok', '6.2\n'),
    outcome('web06', 'ok', '6.1\n'),
    outcome('web07', 'unreachable', '', { message: 'web07: connection refused' }),
  ];
  const blocks = gather(outcomes);
  assert.deepEqual(blocks.map((b) => [b.status, b.nodeset, b.count]), [
    ['ok', 'web[01,03,06]', 3],
    ['ok', 'web05', 1],
    ['failed', 'web04', 1],
    ['unreachable', 'web[02,07]', 2],
  ]);
  assert.equal(blocks[3]?.message, 'HOST: connection refused');
  assert.equal(gather([outcomes[1] as Outcome])[0]?.message, 'web02: connection refused', 'one host keeps its own message');
});

test('gather: the same stdout with a different exit code or stderr is a different block', () => {
  const blocks = gather([
    outcome('a1', 'ok', 'x\n'),
    outcome('a2', 'failed', 'x\n', { exitCode: 1 }),
    outcome('a3', 'failed', 'x\n', { exitCode: 2 }),
    outcome('a4', 'ok', 'x\n', { stderr: 'warn\n' }),
  ]);
  assert.equal(blocks.length, 4);
});

test('formatGathered: header with nodeset, count and status; output once; stderr and empty output shown', () => {
  const text = formatGathered(gather([
    outcome('web1', 'ok', '6.1\n'),
    outcome('web2', 'ok', '6.1\n'),
    outcome('web3', 'failed', '', { exitCode: 2, stderr: 'ls: nope' }),
    outcome('web4', 'timeout', '', { message: 'timed out after 2.0s' }),
    outcome('web5', 'unreachable', '', { message: 'connection to root@10.0.0.5 refused' }),
  ], { addresses: new Map([['web5', '10.0.0.5']]) }));
  assert.equal(text, [
    '---------------',
    'web[1-2] (2) ok',
    '---------------',
    '6.1',
    '---------------',
    'web3 (1) failed, exit 2',
    '---------------',
    'ls: nope',
    '---------------',
    'web4 (1) timeout: timed out after 2.0s',
    '---------------',
    '(no output)',
    '---------------',
    'web5 (1) unreachable: connection to root@10.0.0.5 refused',
    '',
  ].join('\n'));
  assert.ok(!text.includes('\u001b'));
  assert.ok(formatGathered(gather([outcome('w', 'ok', 'x')]), { color: true }).includes('\u001b[32mok'));
});

test('formatGathered: hidden statuses are left out', () => {
  const text = formatGathered(gather([outcome('a', 'ok', 'x'), outcome('b', 'failed', 'y', { exitCode: 1 })]), { hide: new Set(['ok']) });
  assert.doesNotMatch(text, /^a /m);
  assert.match(text, /^b \(1\) failed, exit 1$/m);
});

test('formatGathered: a host cannot drive the terminal: escapes in stdout, stderr and the message are shown as \\xHH', () => {
  const text = formatGathered(gather([
    outcome('web01', 'failed', '\u001b[2Jwiped\n', { exitCode: 1, stderr: '\u001b]0;title\u0007\n' }),
    outcome('web02', 'unreachable', '', { message: 'banner \u009b31m' }),
  ]));
  for (const raw of ['\u001b', '\u0007', '\u009b']) assert.ok(!text.includes(raw), `no raw ${JSON.stringify(raw)} in the display`);
  assert.match(text, /^\\x1b\[2Jwiped$/m);
  assert.match(text, /^\\x1b\]0;title\\x07$/m);
  assert.match(text, /unreachable: banner \\x9b31m$/m);
});
