/**
 * What a person sees while a fan-out runs: the progress line on a TTY, the
 * `--stream` lines, and Ctrl-C turned into the run's signal.
 */
import type { RunEvent } from '../../run/events.js';
import { Progress } from '../../report/progress.js';
import { interruptOnSigint } from './interrupt.js';
import { streamPrinter } from './streamPrinter.js';
import type { Writer, Writers } from './writers.js';

/** The live side of a run: give `signal` and `onEvent` to the engine, call `stop()` when it returns. */
export interface Watch {
  /** Aborted by the first Ctrl-C. */
  readonly signal: AbortSignal;
  /** Feeds the progress line and the stream printer. */
  onEvent(event: RunEvent): void;
  /** Clears the progress line and gives Ctrl-C back; call it before presenting. */
  stop(): void;
}

/** Where the live output goes: stderr's TTY-ness and width decide the progress line. */
export interface WatchWriters extends Writers {
  stderr: Writer & { isTTY?: boolean; columns?: number };
}

/**
 * Starts watching a run of `total` hosts: a progress line on stderr when it is a
 * TTY (not with `quiet` or `stream`, nor for an empty run); the stream printer
 * with `stream` (not with `json`, whose records are the output); and the SIGINT
 * handler, which clears the progress line before it speaks.
 */
export function watchRun(options: { quiet?: boolean | undefined; stream?: boolean | undefined; json?: boolean | undefined }, total: number, out: WatchWriters): Watch {
  const printer = options.stream && !options.json ? streamPrinter(out) : undefined;
  const progress = out.stderr.isTTY && !options.quiet && !options.stream && total > 0
    ? new Progress({ stream: out.stderr, total })
    : undefined;
  const interrupt = interruptOnSigint({ before: () => progress?.clear(), stderr: out.stderr });
  return {
    signal: interrupt.signal,
    onEvent(event) {
      progress?.onEvent(event);
      printer?.(event);
    },
    stop() {
      interrupt.release();
      progress?.clear();
    },
  };
}
