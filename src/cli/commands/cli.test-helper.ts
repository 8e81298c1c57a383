/**
 * The real CLI (bin/muster.js) as a child process, for the commands' end-to-end
 * tests: what a user sees is the exit code, stdout and stderr, so that is what
 * they assert on. One runner instead of one per test file, and one way to wait.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const musterBin = fileURLToPath(new URL('../../../bin/muster.js', import.meta.url));

/** What a run of muster left: exit code (null when killed by a signal), the signal, stdout, stderr. */
export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Where and how to run: `env` replaces the environment (default: this one without MUSTER_INVENTORY). */
export interface RunHow {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Given to muster's stdin (`musterSync` only; default empty). */
  input?: string;
  /** Sees stdout so far as it grows, and may signal the child (`muster` only): for Ctrl-C tests. */
  onStdout?: (stdout: string, child: ChildProcess) => void;
}

function environment(how: RunHow): NodeJS.ProcessEnv {
  return how.env ?? { ...process.env, MUSTER_INVENTORY: '' };
}

/** Runs muster to the end, synchronously: for commands that touch no host. */
export function musterSync(args: string[], how: RunHow = {}): Ran {
  const result = spawnSync(process.execPath, [musterBin, ...args], { cwd: how.cwd, encoding: 'utf8', input: how.input ?? '', env: environment(how) });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Runs muster to the end without blocking the event loop (a lab's hosts keep answering meanwhile). */
export function muster(args: string[], how: RunHow = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [musterBin, ...args], { cwd: how.cwd, env: environment(how), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      how.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A clean usage or inventory failure: exit 2, the expected message, no stack trace. */
export function assertUsageFailure(ran: Pick<Ran, 'code' | 'stderr'>, message: RegExp): void {
  assert.equal(ran.code, 2, ran.stderr);
  assert.match(ran.stderr, message);
  assertNoStack(ran.stderr);
}

/** An expected failure printed as one line: no stack trace, not reported as an internal error. */
export function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .*:\d+:\d+|internal error/);
}

/** Polls `check` every 200 ms until it gives a value, failing the test after `timeoutMs` with what it waited for. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
