/** Temporary folders for the agent's tests, each removed when the test file's tests end. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const scratch: string[] = [];
// Registered when the helper is loaded, at the top level of the test file: a root hook, run once every test has ended.
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the system's temporary folder, removed (with what is in it) after the calling file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
