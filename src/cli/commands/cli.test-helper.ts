/**
 * The real CLI (bin/muster.js) as a child process, for the commands' end-to-end
 * tests: what a user sees is the exit code, stdout and stderr, so that is what
 * they assert on. One runner instead of one per test file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const musterBin = fileURLToPath(new URL('../../../bin/muster.js', import.meta.url));

/** What a run of muster left: exit code (null when killed by a signal), stdout, stderr. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how to run: `env` replaces the environment (default: this one without MUSTER_INVENTORY). */
export interface RunHow {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function environment(how: RunHow): NodeJS.ProcessEnv {
  return how.env ?? { ...process.env, MUSTER_INVENTORY: '' };
}

/** Runs muster to the end, synchronously: for commands that touch no host. */
export function musterSync(args: string[], how: RunHow = {}): Ran {
  const result = spawnSync(process.execPath, [musterBin, ...args], { cwd: how.cwd, encoding: 'utf8', env: environment(how) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs muster to the end without blocking the event loop (a lab's hosts keep answering meanwhile). */
export function muster(args: string[], how: RunHow = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [musterBin, ...args], { cwd: how.cwd, env: environment(how), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A clean usage or inventory failure: exit 2, the expected message, no stack trace. */
export function assertUsageFailure(ran: Pick<Ran, 'code' | 'stderr'>, message: RegExp): void {
  assert.equal(ran.code, 2, ran.stderr);
  assert.match(ran.stderr, message);
  assert.doesNotMatch(ran.stderr, /\n\s+at .*:\d+:\d+|internal error/);
}
