/**
 * `--watch D`: the same fan-out again every D, each round on a cleared screen
 * under a header line, as watch(1) — to follow a rollout or a recovery. Ctrl-C
 * during a round interrupts it (and ends the loop, the round's report printed);
 * Ctrl-C between rounds ends the loop with the last round's exit code.
 */
import type { RunResult } from '../../run/engine.js';

/** Runs `round` until interrupted, waiting `ms` (written `every`) between the end of one and the start of the next. */
export async function repeatEvery(ms: number, every: string, title: string, round: () => Promise<RunResult>, out: NodeJS.WriteStream = process.stdout): Promise<RunResult> {
  // One listener for the whole loop: a Ctrl-C that lands after a round has
  // released its own handler but before the pause starts must still end the
  // loop, not kill muster with the round's report half written.
  let stopped = false;
  let wake = (): void => {};
  const onSigint = (): void => {
    if (stopped) {
      // A second Ctrl-C: quit at once, as during a single fan-out.
      process.off('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    stopped = true;
    wake();
  };
  process.on('SIGINT', onSigint);
  try {
    for (;;) {
      if (out.isTTY) out.write('\x1b[H\x1b[2J');
      out.write(`Every ${every}: ${title}    ${new Date().toLocaleTimeString('en-GB')}\n\n`);
      const result = await round();
      if (result.interrupted || stopped) return result;
      await new Promise<void>((done) => {
        const timer = setTimeout(done, ms);
        wake = () => {
          clearTimeout(timer);
          done();
        };
      });
      if (stopped) return result;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
