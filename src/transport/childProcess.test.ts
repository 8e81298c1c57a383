import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChild } from './childProcess.js';

describe('runChild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-child-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a child to its end, with its exit code, output and stdin', async () => {
    const out: Buffer[] = [];
    const exit = await runChild('sh', ['-c', 'tr a-z A-Z; exit 3'], { stdin: 'hi', onStdout: (chunk) => out.push(chunk) });
    assert.deepEqual(exit, { code: 3, signal: null, aborted: false });
    assert.equal(Buffer.concat(out).toString(), 'HI');
  });

  it('calls onAbort when the signal fires while the child runs, and settles once it closed', async () => {
    const controller = new AbortController();
    const exit = await runChild('sh', ['-c', 'echo up; exec sleep 1000'], {
      onStdout: () => controller.abort(),
      signal: controller.signal,
      onAbort: (child) => void child.kill('SIGTERM'),
    });
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM', aborted: true });
  });

  it('starts nothing when the signal is already aborted', async () => {
    // Were the child started, the run would settle only once it had exited, file written.
    const file = join(dir, 'ran');
    let stopped = false;
    const exit = await runChild('sh', ['-c', `touch '${file}'`], { signal: AbortSignal.abort(), onAbort: () => { stopped = true; } });
    assert.deepEqual(exit, { code: null, signal: null, aborted: true });
    assert.equal(existsSync(file), false);
    assert.equal(stopped, false);
  });

  it('rejects when the child cannot be started', async () => {
    await assert.rejects(runChild(join(dir, 'no-such-binary'), []), { code: 'ENOENT' });
  });
});
