import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../../run/outcome.js';
import { streamPrinter } from './streamPrinter.js';

const done = (host: string): Outcome => ({ host, status: 'ok', exitCode: 0, stdout: '', stderr: '', durationMs: 1 });

test('streamPrinter: host-prefixed lines as output comes, per host and stream, the last partial line at host-done', () => {
  let out = '';
  let err = '';
  const print = streamPrinter({ stdout: { write: (text: string) => { out += text; } }, stderr: { write: (text: string) => { err += text; } } });
  print({ type: 'host-started', host: 'web01', index: 0 });
  print({ type: 'output', host: 'web01', stream: 'stdout', chunk: Buffer.from('one\ntw') });
  print({ type: 'output', host: 'web02', stream: 'stdout', chunk: Buffer.from('other\n') });
  print({ type: 'output', host: 'web01', stream: 'stderr', chunk: Buffer.from('warn\u001b[2J') });
  assert.equal(out, 'web01: one\nweb02: other\n');
  assert.equal(err, '');
  print({ type: 'host-done', index: 0, outcome: done('web01'), done: 1, total: 2 });
  assert.equal(out, 'web01: one\nweb02: other\nweb01: tw\n');
  assert.equal(err, 'web01: warn\\x1b[2J\n', 'a host cannot drive the terminal');
});
