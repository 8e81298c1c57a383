import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFileError } from './errors.js';
import { readRegularFile, readRegularFileSync } from './readRegularFile.js';

const dir = mkdtempSync(join(tmpdir(), 'muster-regular-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The one problem's text of a refusal. */
function refusal(error: unknown): string {
  assert.ok(error instanceof InvalidFileError, String(error));
  assert.equal(error.problems.length, 1);
  return error.message;
}

test('a regular file and a symlink to one are read as they are, byte-order mark and a written U+FFFD kept', async () => {
  const file = join(dir, 'plain.yaml');
  writeFileSync(file, '\ufeffa: "\ufffd é"\n');
  symlinkSync(file, join(dir, 'link.yaml'));
  for (const path of [file, join(dir, 'link.yaml')]) {
    assert.equal(await readRegularFile(path, { what: 'inventory', maxBytes: 100 }), '\ufeffa: "\ufffd é"\n');
    assert.equal(readRegularFileSync(path, { what: 'inventory', maxBytes: 100 }), '\ufeffa: "\ufffd é"\n');
  }
});

test('a FIFO, a device and a folder are refused by name without blocking', async () => {
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, RegExp][] = [
    [fifo, /^Cannot load inventory: F: not a regular file \(it is a FIFO\); muster reads only regular files or symlinks to them$/],
    ['/dev/zero', /^Cannot load inventory: F: not a regular file \(it is a character device\)/],
    [dir, /^Cannot load inventory: F: not a regular file \(it is a folder\)/],
    [join(dir, 'missing.yaml'), /^Cannot load inventory: F: no such file$/],
  ];
  for (const [path, message] of cases) {
    await assert.rejects(readRegularFile(path, { what: 'inventory', shown: 'F', maxBytes: 100 }), (error) => message.test(refusal(error)));
    assert.throws(() => readRegularFileSync(path, { what: 'inventory', shown: 'F', maxBytes: 100 }), (error) => message.test(refusal(error)));
  }
});

test('a file over the limit is refused before it is read; without `shown`, `what` names it', async () => {
  const big = join(dir, 'big.yaml');
  writeFileSync(big, 'x'.repeat(3 * 1024 * 1024 + 1));
  await assert.rejects(readRegularFile(big, { what: `task ${big}`, maxBytes: 3 * 1024 * 1024 }), (error) => refusal(error) === `Cannot load task ${big}: is 3.0 MiB, over the limit of 3 MiB`);
  assert.throws(() => readRegularFileSync(big, { what: 'template', maxBytes: 1024, limitName: 'the template limit' }), (error) => /: is 3\.0 MiB, over the template limit$/.test(refusal(error)));
});

test('invalid UTF-8 is refused at the line:col of its first bad byte', async () => {
  const file = join(dir, 'latin1.yaml');
  writeFileSync(file, Buffer.concat([Buffer.from('a: "\ufffd"\nnote: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  await assert.rejects(readRegularFile(file, { what: 'inventory', shown: 'latin1.yaml', maxBytes: 100 }), (error) => {
    assert.equal(refusal(error), 'Cannot load inventory: latin1.yaml:2:10: invalid UTF-8 (byte 0xe9): muster reads text files as UTF-8; convert it (iconv -t UTF-8)');
    return true;
  });
});
