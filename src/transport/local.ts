/**
 * The local transport: runs commands on this machine with `sh -c`, each in its own process
 * group so that aborting kills everything the command started. For tests of the layers
 * above and for `localhost` entries.
 */
import { spawn } from 'node:child_process';
import { shellQuote } from '../core/shell.js';
import { OutputCapture } from './outputCapture.js';
import { ConnectError, type ExecOptions, type ExecResult, type Session, type Target, type Transport } from './types.js';

/** How long an aborted command gets between TERM and KILL. */
const KILL_GRACE_MS = 2_000;

/** Creates the local transport. Connecting never fails (unless already aborted). */
export function localTransport(): Transport {
  return {
    name: 'local',
    connect(target, options) {
      if (options?.signal?.aborted) {
        return Promise.reject(new ConnectError(target.name, 'aborted', `connection to ${target.name} aborted`));
      }
      return Promise.resolve(new LocalSession(target));
    },
  };
}

class LocalSession implements Session {
  private closed = false;
  private readonly running = new Set<number>();

  constructor(readonly target: Target) {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new ConnectError(this.target.name, 'closed', `session to ${this.target.name} is closed`));
    const line = options.sudo === true ? `sudo -n -- sh -c ${shellQuote(command)}` : command;
    const stdout = new OutputCapture(options.maxOutputBytes, options.onStdout);
    const stderr = new OutputCapture(options.maxOutputBytes, options.onStderr);

    return new Promise<ExecResult>((resolvePromise, reject) => {
      // detached: the child leads a new process group, so one kill reaches all it starts.
      const child = spawn('sh', ['-c', line], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const pid = child.pid;
      if (pid !== undefined) this.running.add(pid);
      let killTimer: NodeJS.Timeout | undefined;
      let aborted = false;
      const killGroup = (sig: NodeJS.Signals): void => {
        if (pid === undefined) return;
        try {
          process.kill(-pid, sig);
        } catch (error) {
          // ESRCH: the group is already gone, which is what we wanted.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      };
      const onAbort = (): void => {
        aborted = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stdin.on('error', () => undefined); // EPIPE when the command does not read stdin
      child.stdin.end(options.stdin);
      child.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        if (pid !== undefined) this.running.delete(pid);
        reject(error);
      });
      child.on('close', (code, signalName) => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(killTimer);
        if (pid !== undefined) this.running.delete(pid);
        // Anything still in the group (a background job) goes with the command.
        if (aborted) {
          killGroup('SIGKILL');
          reject(signal?.reason);
          return;
        }
        resolvePromise({
          exitCode: code,
          signal: signalName,
          stdout: stdout.buffer(),
          stderr: stderr.buffer(),
          stdoutTruncated: stdout.truncated,
          stderrTruncated: stderr.truncated,
        });
      });
    });
  }

  close(): void {
    this.closed = true;
  }
}
