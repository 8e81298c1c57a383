/** Running a command inside a lab host without SSH, for test setup and assertions. */
import { spawn } from 'node:child_process';
import { EnvironmentError } from '../core/errors.js';
import { hostProcess } from './host.js';
import { labPaths, requireHost, requireState } from './state.js';

/** What labExec returns. */
export interface LabExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a shell command inside a host — its namespaces, root and cwd — as root,
 * without SSH (`nsenter -t PID -m -u -p -r -w`). For test setup and assertions.
 * A non-zero exit is a result, not an error; a stopped host is an EnvironmentError.
 */
export async function labExec(
  lab: { name: string } | string,
  host: string,
  command: string,
  options: { signal?: AbortSignal; input?: string } = {},
): Promise<LabExecResult> {
  const name = typeof lab === 'string' ? lab : lab.name;
  const { dir, state } = await requireState(name);
  const found = requireHost(state, host);
  const running = await hostProcess(labPaths(dir), found.name);
  if (!running) throw new EnvironmentError(`Lab host ${found.name} of lab "${name}" is stopped`);
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', USER: 'root', LOGNAME: 'root', LANG: 'C.UTF-8' };
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(running.init), '-m', '-u', '-p', '-r', '-w', '--', '/bin/sh', '-c', command], {
      env, stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    // A command that exits without reading its stdin closes the pipe: that is its business, not an error.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.once('close', (code, signal) => resolve({
      code: code ?? (signal ? 128 : 1),
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    }));
    child.stdin.end(options.input ?? '');
  });
}
