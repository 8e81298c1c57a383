/**
 * Ctrl-C during a fan-out, as DESIGN.md promises: the first one stops starting
 * hosts and stops the running ones (the report still prints), a second one ends
 * muster at once.
 */
import type { Writer } from './writers.js';

/** An AbortSignal that follows Ctrl-C until `release()` removes the handler. */
export interface Interrupt {
  /** Aborted (reason: Error "interrupted") by the first SIGINT. */
  readonly signal: AbortSignal;
  /** Removes the SIGINT handler: Ctrl-C gets its default action back. */
  release(): void;
}

/**
 * Turns SIGINT into an AbortSignal. The first one calls `before` (to clear a
 * progress line), says on `stderr` what happens now, and aborts; the second one
 * re-raises SIGINT with the handler removed, so the default action ends the
 * process at once, whatever is still running.
 */
export function interruptOnSigint(options: { before?: () => void; stderr?: Writer } = {}): Interrupt {
  const stderr = options.stderr ?? process.stderr;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      options.before?.();
      stderr.write('muster: interrupted: starting no more hosts, stopping the running ones (Ctrl-C again to quit at once)\n');
      controller.abort(new Error('interrupted'));
      return;
    }
    // The second Ctrl-C: let the default action end the process now.
    process.off('SIGINT', onSigint);
    process.kill(process.pid, 'SIGINT');
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}
