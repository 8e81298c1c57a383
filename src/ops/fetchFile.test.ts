/**
 * FileReceiver keeps its promise of "nothing left behind" even when the transport is late:
 * a chunk delivered after the run was stopped (the channel's buffered data, or a host whose
 * stream had not begun when Ctrl-C came) must not make a temporary file nobody removes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReceiver } from './fetchFile.js';

describe('FileReceiver', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-receiver-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** The files a test's receiver left (each test has its own name, so one failure does not fail the next). */
  const left = async (name: string): Promise<string[]> => (await readdir(dir)).filter((file) => file.startsWith(name));
  const receiver = (name: string): FileReceiver => new FileReceiver(join(dir, name), { prepare: async () => undefined, onFailure: () => undefined, maxBytes: 1024 });

  it('makes no file for a chunk that arrives after discard', async () => {
    const late = receiver('late');
    await late.discard();
    await late.push(Buffer.from('644\nhello'));
    assert.deepEqual(await left('late'), []);
  });

  it('removes the temporary file of a chunk still being written when discard comes', async () => {
    const busy = receiver('busy');
    const writing = busy.push(Buffer.from('644\nhello'));
    await busy.discard();
    await writing;
    await busy.push(Buffer.from(' again'));
    assert.deepEqual(await left('busy'), []);
  });

  it('renames a whole file into place', async () => {
    const whole = receiver('whole');
    await whole.push(Buffer.from('600\nhello'));
    await whole.finish();
    assert.deepEqual(await left('whole'), ['whole']);
  });
});
