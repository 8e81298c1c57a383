import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { feed, OutputCapture } from './outputCapture.js';

test('OutputCapture: cut between characters at the cap, and nothing glued on after the cut', () => {
  const seen: Buffer[] = [];
  const capture = new OutputCapture(4, (chunk) => { seen.push(chunk); });
  capture.push(Buffer.from('abc'));
  capture.push(Buffer.from('é'));
  capture.push(Buffer.from('d'));
  assert.equal(capture.buffer().toString(), 'abc', 'é would have been split; d came after the cut');
  assert.equal(capture.truncated, true);
  assert.equal(Buffer.concat(seen).toString(), 'abcéd', 'the callback sees everything');
});

test('feed: a promise from the consumer pauses the stream until it settles, so unread output does not pile up', async () => {
  const stream = new PassThrough({ highWaterMark: 4 });
  let release: () => void = () => undefined;
  const got: string[] = [];
  feed(stream, (chunk) => {
    got.push(chunk.toString());
    return new Promise<void>((resolve) => { release = resolve; });
  });
  stream.write('one');
  stream.write('two');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(got, ['one'], 'the second chunk waits');
  assert.equal(stream.isPaused(), true);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(got, ['one', 'two']);
});
