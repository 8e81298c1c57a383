/**
 * One local child process run to its end: the way the local transport runs a command and the
 * openssh transport runs `ssh`. stdin is written then closed at once (a command that does not
 * read it must not hang, and its EPIPE is not an error); output goes to the sinks as it comes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { feed } from './outputCapture.js';
import type { ChunkSink } from './types.js';

/** How to run one child process. */
export interface ChildOptions {
  /** Bytes written to stdin, then EOF. */
  stdin?: string | Buffer | undefined;
  /** Where stdout goes, chunk by chunk (a promise returned holds back reading until it settles); without it stdout is not read at all. */
  onStdout?: ChunkSink;
  onStderr?: (chunk: Buffer) => void;
  /** Start the child as the leader of a new session (setsid), so its whole session can be killed. */
  detached?: boolean;
  signal?: AbortSignal | undefined;
  /**
   * What an abort does to the child (kill its whole group, say); by default it is sent
   * SIGTERM. The run settles only once the child has closed and the promise this returns
   * has settled.
   */
  onAbort?: (child: ChildProcess) => Promise<void> | void;
}

/** How the child ended; `aborted` when `signal` fired while it ran, or before (then nothing ran). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  aborted: boolean;
}

/**
 * Runs `file args` to its end. Resolves once the child exited and its pipes closed; rejects
 * only when it could not be started (e.g. ENOENT), the abort listener removed either way.
 * A signal already aborted when it is called starts nothing: it resolves `aborted` at once,
 * with no code or signal, and `onAbort` is not called (there is no child to stop).
 */
export function runChild(file: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildExit> {
  const { signal } = options;
  // An 'abort' listener added now would never fire, so the child would run unstoppable.
  if (signal?.aborted) return Promise.resolve({ code: null, signal: null, aborted: true });
  return new Promise<ChildExit>((resolveExit, reject) => {
    const child = spawn(file, args, {
      detached: options.detached === true,
      stdio: ['pipe', options.onStdout ? 'pipe' : 'ignore', options.onStderr ? 'pipe' : 'ignore'],
    });
    let stopping: Promise<void> | undefined;
    const onAbort = (): void => {
      stopping = Promise.resolve(options.onAbort ? options.onAbort(child) : void child.kill('SIGTERM'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (options.onStdout && child.stdout) feed(child.stdout, options.onStdout);
    if (options.onStderr) child.stderr?.on('data', options.onStderr);
    child.stdin?.on('error', () => undefined); // EPIPE when the command does not read stdin
    child.stdin?.end(options.stdin);
    child.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code, exitSignal) => {
      signal?.removeEventListener('abort', onAbort);
      const exit = { code, signal: exitSignal, aborted: stopping !== undefined };
      if (stopping === undefined) resolveExit(exit);
      else void stopping.then(() => resolveExit(exit), () => resolveExit(exit));
    });
  });
}
