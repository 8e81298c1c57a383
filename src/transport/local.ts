/**
 * The local transport: runs commands on this machine with `sh -c`, each in its own process
 * group so that aborting kills everything the command started. For tests of the layers
 * above and for `localhost` entries.
 */
import { runChild } from './childProcess.js';
import { execResult, OutputCapture } from './outputCapture.js';
import { stopProcessGroup } from './processGroup.js';
import { sudoInput, sudoLine, type Sudo } from './sudo.js';
import { ConnectError, ExecAbortedError, type ExecOptions, type ExecResult, type Session, type Target, type Transport } from './types.js';

/**
 * Stops session `sid` with the same script the ssh transports run remotely (TERM, up to 2 s,
 * KILL); falls back to KILLing the process group if the script cannot run. A script still
 * running when stopProcessGroup gives up on it is TERMed (sudo passes that on to its shell).
 */
function killSession(sid: number, sudo: Sudo): Promise<void> {
  const run = (command: string, signal: AbortSignal, stdin: string | Buffer | undefined): Promise<unknown> =>
    runChild('sh', ['-c', command], { signal, ...(stdin !== undefined ? { stdin } : {}) });
  return stopProcessGroup(sid, sudo, run, () => {
    try {
      process.kill(-sid, 'SIGKILL');
    } catch (error) {
      // ESRCH: the group is already gone, which is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
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
  } satisfies Transport;
}

class LocalSession implements Session {
  private closed = false;

  constructor(readonly target: Target) {}

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    if (this.closed) throw new ConnectError(this.target.name, 'closed', `session to ${this.target.name} is closed`);
    const sudo = options.sudo;
    const stdin = sudoInput(sudo, options.stdin);
    const stdout = new OutputCapture(options.maxOutputBytes, options.onStdout);
    const stderr = new OutputCapture(options.maxOutputBytes, options.onStderr);
    // detached: the child leads a new session (setsid), so the kill reaches all it starts,
    // including what moved to a process group of its own (timeout, job control).
    const exit = await runChild('sh', ['-c', sudoLine(command, sudo)], {
      detached: true,
      ...(stdin !== undefined ? { stdin } : {}),
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
      signal,
      onAbort: (child) => child.pid === undefined ? undefined : killSession(child.pid, sudo),
    });
    // What it printed before it was stopped is part of what happened: keep it.
    if (exit.aborted) throw new ExecAbortedError(this.target.name, execResult(null, null, stdout, stderr), signal?.reason);
    return execResult(exit.code, exit.signal, stdout, stderr);
  }

  close(): void {
    this.closed = true;
  }
}
