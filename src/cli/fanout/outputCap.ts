/**
 * `--max-output SIZE`: the cap on each of stdout and stderr a host's result keeps, and a
 * cut that never splits a line. The transports cut at the cap between UTF-8 characters
 * (outputCapture.ts); here a cut result is taken back to the end of its last whole line,
 * so that the gathered view, `-L` and `--diff` never show half a line as if it were the
 * whole. A stream whose first line alone is longer than the cap keeps that much of it
 * (still whole characters): there is no line end to go back to.
 *
 * Applied around a job rather than inside it: the job (ops/run.ts's commandJob) passes no
 * cap of its own, so every exec of the job gets this one as its default.
 */
import { formatBytes } from '../../core/bytes.js';
import type { Job } from '../../run/engine.js';
import { ExecAbortedError, type ExecResult, type Session } from '../../transport/types.js';

/** Where a cut result ends: after its last newline, or (no newline at all) where it was cut. */
export function lineBoundary(bytes: Buffer): number {
  const last = bytes.lastIndexOf(0x0a);
  return last < 0 ? bytes.length : last + 1;
}

/**
 * `job` with every exec capped at `maxBytes` per stream (unless it asks for its own cap),
 * cut results taken back to a line end, and the outcome's `truncated` note naming this
 * cap: `stdout cut at 10 MiB`.
 */
export function cappedJob<T>(job: Job<T>, maxBytes: number): Job<T> {
  return async (session, context) => {
    const cut = new Set<'stdout' | 'stderr'>();
    const atLine = (result: ExecResult): ExecResult => {
      if (result.stdoutTruncated) cut.add('stdout');
      if (result.stderrTruncated) cut.add('stderr');
      return {
        ...result,
        stdout: result.stdoutTruncated ? result.stdout.subarray(0, lineBoundary(result.stdout)) : result.stdout,
        stderr: result.stderrTruncated ? result.stderr.subarray(0, lineBoundary(result.stderr)) : result.stderr,
      };
    };
    const capped: Session = {
      target: session.target,
      close: () => session.close(),
      exec: async (command, options = {}) => {
        try {
          return atLine(await session.exec(command, { ...options, maxOutputBytes: options.maxOutputBytes ?? maxBytes }));
        } catch (error) {
          // What came before a timeout or Ctrl-C is shown too: cut the same way.
          if (error instanceof ExecAbortedError) throw new ExecAbortedError(error.host, atLine(error.partial), error.cause ?? error.message);
          throw error;
        }
      },
    };
    const result = await job(capped, context);
    if (cut.size === 0 || result.truncated === undefined) return result;
    const streams = (['stdout', 'stderr'] as const).filter((stream) => cut.has(stream));
    return { ...result, truncated: `${streams.join(' and ')} cut at ${formatBytes(maxBytes)}` };
  };
}
