/**
 * The system `openssl`, run with an argument array (never a shell). Keys are read by openssl
 * from their files by path and never appear on a command line or in a message.
 */
import { execFile } from 'node:child_process';
import { EnvironmentError, MusterError } from '../core/errors.js';

/** Runs `openssl args…` in `cwd`; resolves with its stdout. A failure names the subcommand and openssl's first error line. */
export function openssl(args: string[], cwd?: string): Promise<Buffer> {
  return new Promise((done, reject) => {
    execFile('openssl', args, { cwd, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return done(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new EnvironmentError('openssl is not installed: install the openssl package'));
      const first = stderr.toString('utf8').split('\n').find((line) => line.trim()) ?? error.message;
      reject(new MusterError(`openssl ${args[0] ?? ''} failed: ${first.trim()}`));
    });
  });
}
