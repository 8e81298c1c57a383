/**
 * FORALL: the job of `muster run` — one shell command line on every host.
 */
import { formatBytes } from '../core/bytes.js';
import type { Job, JobResult } from '../run/engine.js';
import { outputFields } from '../run/outcome.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../transport/outputCapture.js';
import { ExecAbortedError, type ExecResult } from '../transport/types.js';

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
 * code, a command ended by a signal is `failed` saying which. Output is kept as UTF-8
 * text, and as bytes when it is not valid UTF-8 (`outputFields`); when it was capped,
 * `truncated` says which stream was cut. Output also goes to the engine's output sink as
 * it arrives (`output` events, for `--stream`). A command stopped by the job's signal
 * (timeout, Ctrl-C) still returns what it printed until then: the engine makes the host
 * `timeout` or `failed: interrupted` and keeps that output in every view.
 */
export function commandJob(command: string, options: CommandJobOptions = {}): Job {
  const cap = formatBytes(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  return async (session, { signal, output }) => {
    let result: ExecResult;
    try {
      result = await session.exec(command, {
        signal,
        onStdout: output.stdout,
        onStderr: output.stderr,
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        ...(options.sudo ? { sudo: true } : {}),
        ...(options.maxOutputBytes !== undefined ? { maxOutputBytes: options.maxOutputBytes } : {}),
      });
    } catch (error) {
      if (!(error instanceof ExecAbortedError)) throw error;
      // The engine names the status (timeout or interrupted) and the message.
      return { status: 'failed', ...resultFields(error.partial, cap), message: error.message };
    }
    const common = resultFields(result, cap);
    if (result.exitCode === 0) return { status: 'ok', ...common };
    if (result.exitCode === null) {
      return { status: 'failed', ...common, message: result.signal ? `killed by signal ${result.signal}` : 'ended without an exit status' };
    }
    return { status: 'failed', ...common };
  };
}

/** An exec's exit code, output and what was cut, as job result fields. */
function resultFields(result: ExecResult, cap: string): Omit<JobResult, 'status'> {
  const cut = [result.stdoutTruncated ? 'stdout' : '', result.stderrTruncated ? 'stderr' : ''].filter(Boolean);
  return {
    exitCode: result.exitCode,
    ...outputFields(result.stdout, result.stderr),
    ...(cut.length > 0 ? { truncated: `${cut.join(' and ')} cut at ${cap}` } : {}),
  };
}
