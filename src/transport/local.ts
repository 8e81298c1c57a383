/**
 * The local transport: runs commands on this machine with `sh -c`, each in its own process
 * group so that aborting kills everything the command started. For tests of the layers
 * above and for `localhost` entries.
 */
import { spawn } from 'node:child_process';
import { shellQuote } from '../core/shell.js';
import { execResult, OutputCapture } from './outputCapture.js';
import { killGroupCommand } from './remoteCommand.js';
import { ConnectError, type ExecOptions, type ExecResult, type Session, type Target, type Transport } from './types.js';

/**
 * Stops session `sid` with the same script the ssh transports run remotely (TERM, up to 2 s,
 * KILL); falls back to KILLing the process group if the script cannot run.
 */
function killSession(sid: number, sudo: boolean): Promise<void> {
  return new Promise((resolveKill) => {
    const killer = spawn('sh', ['-c', killGroupCommand(sid, sudo)], { stdio: 'ignore' });
    killer.on('error', () => {
      try {
        process.kill(-sid, 'SIGKILL');
      } catch (error) {
        // ESRCH: the group is already gone, which is what we wanted.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      resolveKill();
    });
    killer.on('close', () => resolveKill());
  });
}

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

  constructor(readonly target: Target) {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new ConnectError(this.target.name, 'closed', `session to ${this.target.name} is closed`));
    const line = options.sudo === true ? `sudo -n -- sh -c ${shellQuote(command)}` : command;
    const stdout = new OutputCapture(options.maxOutputBytes, options.onStdout);
    const stderr = new OutputCapture(options.maxOutputBytes, options.onStderr);

    return new Promise<ExecResult>((resolvePromise, reject) => {
      // detached: the child leads a new session (setsid), so the kill below reaches all it starts,
      // including what moved to a process group of its own (timeout, job control).
      const child = spawn('sh', ['-c', line], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const pid = child.pid;
      let killing: Promise<void> | undefined;
      const onAbort = (): void => {
        if (pid !== undefined) killing = killSession(pid, options.sudo === true);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stdin.on('error', () => undefined); // EPIPE when the command does not read stdin
      child.stdin.end(options.stdin);
      child.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      });
      child.on('close', (code, signalName) => {
        signal?.removeEventListener('abort', onAbort);
        if (killing) {
          void killing.then(() => reject(signal?.reason));
          return;
        }
        resolvePromise(execResult(code, signalName, stdout, stderr));
      });
    });
  }

  close(): void {
    this.closed = true;
  }
}
