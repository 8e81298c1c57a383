/**
 * FORALL: the job of `muster run` — one shell command line on every host.
 */
import type { Job } from '../run/engine.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../transport/outputCapture.js';

export interface CommandJobOptions {
  /** Bytes given to the command's stdin on every host (`--stdin FILE`); without it stdin is closed. */
  stdin?: string | Buffer;
  /** Run through `sudo -n`. */
  sudo?: boolean;
  /** Cap on each of stdout and stderr kept per host; the transport's default (1 MiB) otherwise. */
  maxOutputBytes?: number;
}

/**
 * The job that runs `command` (a shell command line, run by the login shell of the
 * remote user) on a host: exit 0 is `ok`, any other exit is `failed` with its exit
 * code, a command ended by a signal is `failed` saying which. Output is decoded as
 * UTF-8; when it was capped, `truncated` says which stream was cut. Output also
 * goes to the engine's output sink as it arrives (`output` events, for `--stream`).
 */
export function commandJob(command: string, options: CommandJobOptions = {}): Job {
  return async (session, { signal, output }) => {
    const result = await session.exec(command, {
      signal,
      onStdout: output.stdout,
      onStderr: output.stderr,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      ...(options.sudo ? { sudo: true } : {}),
      ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
    });
    const cut = [result.stdoutTruncated ? 'stdout' : '', result.stderrTruncated ? 'stderr' : ''].filter(Boolean);
    const common = {
      exitCode: result.exitCode,
      stdout: result.stdout.toString('utf8'),
      stderr: result.stderr.toString('utf8'),
      ...(cut.length > 0 ? { truncated: `${cut.join(' and ')} cut at ${formatBytes(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES)}` } : {}),
    };
    if (result.exitCode === 0) return { status: 'ok', ...common };
    if (result.exitCode === null) {
      return { status: 'failed', ...common, message: result.signal ? `killed by signal ${result.signal}` : 'ended without an exit status' };
    }
    return { status: 'failed', ...common };
  };
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
