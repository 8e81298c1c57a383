import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkRecords, unfinishedTail } from './jsonChunks.js';

test('unfinishedTail: the bytes of a character not complete yet, 0 when the text ends whole', () => {
  const euro = Buffer.from('€'); // e2 82 ac
  assert.equal(unfinishedTail(Buffer.from('abc')), 0);
  assert.equal(unfinishedTail(euro), 0);
  assert.equal(unfinishedTail(euro.subarray(0, 1)), 1);
  assert.equal(unfinishedTail(euro.subarray(0, 2)), 2);
  assert.equal(unfinishedTail(Buffer.from([0x61, 0xf0, 0x9f, 0x98])), 3);
  assert.equal(unfinishedTail(Buffer.from([0xff, 0x80])), 0, 'no lead byte within 3: binary, not held');
});

test('chunkRecords: a character split across chunks is carried whole, as text', () => {
  const records = chunkRecords('web01', 'stdout');
  const text = Buffer.from('prix: 5€\n');
  const split = text.length - 3; // inside the €
  assert.deepEqual(records.push(text.subarray(0, split)), { type: 'output', host: 'web01', stream: 'stdout', data: 'prix: 5' });
  assert.deepEqual(records.push(text.subarray(split, split + 1)), undefined, 'still unfinished: nothing yet');
  assert.deepEqual(records.push(text.subarray(split + 1)), { type: 'output', host: 'web01', stream: 'stdout', data: '€\n' });
  assert.equal(records.flush(), undefined);
});

test('chunkRecords: bytes that are not UTF-8 are carried exactly as dataBase64; an unfinished end is flushed the same way', () => {
  const records = chunkRecords('web01', 'stderr');
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x41]);
  assert.deepEqual(records.push(binary), { type: 'output', host: 'web01', stream: 'stderr', dataBase64: binary.toString('base64') });
  assert.equal(records.push(Buffer.from([0xe2, 0x82])), undefined);
  assert.deepEqual(records.flush(), { type: 'output', host: 'web01', stream: 'stderr', dataBase64: Buffer.from([0xe2, 0x82]).toString('base64') });
});
