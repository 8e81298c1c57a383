/**
 * `--watch D`: the same fan-out again every D, each round on a cleared screen
 * under a header line, as watch(1) — to follow a rollout or a recovery. Ctrl-C
 * during a round interrupts it (and ends the loop, the round's report printed);
 * Ctrl-C between rounds ends the loop with the last round's exit code.
 */
import type { RunResult } from '../../run/engine.js';

/** Runs `round` until interrupted, waiting `ms` (written `every`) between the end of one and the start of the next. */
export async function repeatEvery(ms: number, every: string, title: string, round: () => Promise<RunResult>, out: NodeJS.WriteStream = process.stdout): Promise<RunResult> {
  for (;;) {
    if (out.isTTY) out.write('\x1b[H\x1b[2J');
    out.write(`Every ${every}: ${title}    ${new Date().toLocaleTimeString('en-GB')}\n\n`);
    const result = await round();
    if (result.interrupted || !await pause(ms)) return result;
  }
}

/** Waits `ms`; false when Ctrl-C came first. */
function pause(ms: number): Promise<boolean> {
  return new Promise((done) => {
    const finish = (completed: boolean): void => {
      clearTimeout(timer);
      process.removeListener('SIGINT', stop);
      done(completed);
    };
    const stop = (): void => finish(false);
    const timer = setTimeout(() => finish(true), ms);
    process.once('SIGINT', stop);
  });
}
