import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inside, safeFileName } from './renderOutput.js';

test('file names from hosts and templates cannot leave their folder or hide', () => {
  assert.equal(safeFileName('web001.example.lan'), 'web001.example.lan');
  for (const bad of ['', '.', '..', '../etc', 'a/b', '/etc/passwd', '.hidden', 'x\0y']) {
    assert.throws(() => safeFileName(bad), /cannot be used as a file name/, JSON.stringify(bad));
  }
  assert.equal(inside('/tmp/out', 'web1.conf'), '/tmp/out/web1.conf');
  assert.throws(() => inside('/tmp/out', '../web1.conf'), /cannot be used as a file name/);
});
