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
