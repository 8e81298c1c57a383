/**
 * The one way the CA runs the system `openssl`: execFile-style with an argument array (never a
 * shell), optional stdin, and openssl's stderr in the error. Keys are passed by path or through
 * pipes, never on a command line; stdout (which may carry a fresh key) never goes into an error.
 */
import { spawn } from 'node:child_process';
import { EnvironmentError } from '../core/errors.js';
import { CaError } from './errors.js';

/** What openssl printed. */
export interface OpensslOutput {
  stdout: string;
  stderr: string;
}

/** Options of `openssl()`. */
export interface OpensslOptions {
  /** Written to openssl's stdin (then closed); default: stdin is empty. */
  input?: string;
  /** Working folder (for generated configs that name files relatively). */
  cwd?: string;
  /** What the caller was doing, for the error: `Cannot sign web01`. Default: `openssl <verb> failed`. */
  what?: string;
}

/**
 * Runs `openssl ...args` to the end. Resolves with its output when it exits 0; rejects with a
 * CaError carrying openssl's last stderr lines otherwise, and an EnvironmentError when there
 * is no openssl to run.
 */
export function openssl(args: readonly string[], options: OpensslOptions = {}): Promise<OpensslOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // openssl may exit before reading all of stdin (a garbage CSR): that EPIPE is not the error to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new EnvironmentError('The fleet CA needs the system openssl, and there is none on PATH (apt install openssl)')
        : new CaError(`Cannot run openssl: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      const out = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      if (code === 0) return resolve(out);
      const what = options.what ?? `openssl ${args[0] ?? ''} failed`;
      reject(new CaError(`${what}: ${lastLines(out.stderr) || (signal ? `openssl was killed by ${signal}` : `openssl exited with ${code}`)}`));
    });
  });
}

/** The last few meaningful stderr lines, joined on one line: openssl's reason is at the end. */
function lastLines(stderr: string): string {
  return stderr.split('\n').map((line) => line.trim()).filter(Boolean).slice(-3).join('; ');
}
