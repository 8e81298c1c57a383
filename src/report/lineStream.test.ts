import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineStream } from './lineStream.js';

test('lineStream: whole lines only, prefixed with the host; the tail on flush', () => {
  const written: string[] = [];
  const stream = lineStream('web01', (text) => written.push(text));
  stream.push(Buffer.from('one\ntw'));
  stream.push('o\nthree\n');
  stream.push('tail');
  assert.deepEqual(written, ['web01: one\n', 'web01: two\nweb01: three\n']);
  stream.flush();
  assert.equal(written.at(-1), 'web01: tail\n');
  stream.flush();
  assert.equal(written.length, 3);
});

test('lineStream: a UTF-8 character split across chunks stays whole', () => {
  const written: string[] = [];
  const stream = lineStream('h', (text) => written.push(text));
  const bytes = Buffer.from('é\n');
  stream.push(bytes.subarray(0, 1));
  stream.push(bytes.subarray(1));
  assert.deepEqual(written, ['h: é\n']);
});

test('lineStream: terminal escapes from the host are shown, not obeyed; CRLF lines are kept', () => {
  const written: string[] = [];
  const stream = lineStream('h', (text) => written.push(text));
  stream.push('\u001b]0;owned\u0007ok\r\nfake\rreal\n\u001b[2J');
  stream.flush();
  assert.deepEqual(written, ['h: \\x1b]0;owned\\x07ok\r\nh: fake\\x0dreal\n', 'h: \\x1b[2J\n']);
});

test('lineStream: a line over the cap is printed cut at a character boundary, as soon as the cap is reached; the next line follows', () => {
  const written: string[] = [];
  const stream = lineStream('h', (text) => written.push(text), { maxLineBytes: 8 });
  stream.push('abcdef');
  assert.deepEqual(written, []);
  // é is two bytes: 7 bytes fit, the 8th would split it.
  stream.push('géé and more');
  assert.deepEqual(written, ['h: abcdefg … (line cut at 8 bytes)\n']);
  stream.push(' still the same line\nnext\n');
  assert.deepEqual(written.slice(1), ['h: next\n']);
  stream.push('exactly8\n');
  assert.equal(written.at(-1), 'h: exactly8\n', 'a line of the cap itself is whole');
  stream.push('123456789');
  stream.flush();
  assert.equal(written.at(-1), 'h: 12345678 … (line cut at 8 bytes)\n', 'the cut line is not printed again at the end');
  assert.equal(written.length, 4);
});

test('lineStream: linear in bytes — one 64 MiB line in 64 KiB chunks, uncapped and capped, in well under a second each', () => {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  for (const maxLineBytes of [Number.POSITIVE_INFINITY, 1024 * 1024]) {
    let bytes = 0;
    const stream = lineStream('h', (text) => { bytes += text.length; }, { maxLineBytes });
    const started = performance.now();
    for (let i = 0; i < 1024; i++) stream.push(chunk);
    stream.push('\n');
    const ms = performance.now() - started;
    // Re-scanning the pending line for every chunk, as before, takes tens of seconds here.
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms for 64 MiB (cap ${maxLineBytes})`);
    assert.ok(bytes > (maxLineBytes === Number.POSITIVE_INFINITY ? 64 * 1024 * 1024 : 1024 * 1024));
  }
});

test('lineStream: a chunk bigger than the cap holding several lines cuts only the long one', () => {
  const written: string[] = [];
  const stream = lineStream('h', (text) => written.push(text), { maxLineBytes: 8 });
  stream.push(`a\n${'x'.repeat(10)}\nshort\r\n\u001b[2J\ntail`);
  stream.flush();
  assert.deepEqual(written, ['h: a\nh: xxxxxxxx … (line cut at 8 bytes)\nh: short\r\nh: \\x1b[2J\n', 'h: tail\n']);
});
