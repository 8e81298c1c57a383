import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MusterError } from './errors.js';
import { lockPathFor, withFileLock } from './fileLock.js';

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

describe('withFileLock', () => {
  it('runs two holders of one file one after the other, never together', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'muster-lock-'));
    try {
      const file = join(dir, 'inventory.yaml');
      const events: string[] = [];
      const holder = (name: string) => withFileLock(file, async () => {
        events.push(`${name} in`);
        await sleep(100);
        events.push(`${name} out`);
      });
      await Promise.all([holder('a'), holder('b'), holder('c')]);
      for (let i = 0; i < events.length; i += 2) {
        assert.match(events[i]!, / in$/);
        assert.equal(events[i + 1], events[i]!.replace(' in', ' out'));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up after the wait with a clear error naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'muster-lock-'));
    try {
      const file = join(dir, 'known_hosts');
      // Another program holding the lock the way a shell script would (-o: only flock itself holds it).
      const other = spawn('flock', ['-o', lockPathFor(file), 'sleep', '5'], { stdio: 'ignore' });
      await sleep(200);
      await assert.rejects(withFileLock(file, async () => 'never', { waitMs: 300 }), (error: Error) => {
        assert.ok(error instanceof MusterError);
        assert.match(error.message, new RegExp(`^Cannot lock ${file}: ${lockPathFor(file)} has been held by another process for over `));
        return true;
      });
      other.kill('SIGKILL');
      // Its death drops the lock at once.
      assert.equal(await withFileLock(file, async () => 'mine', { waitMs: 2000 }), 'mine');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('releases the lock even when the holder throws', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'muster-lock-'));
    try {
      const file = join(dir, 'f');
      await assert.rejects(withFileLock(file, async () => { throw new Error('boom'); }), /boom/);
      assert.equal(await withFileLock(file, async () => 2, { waitMs: 500 }), 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
