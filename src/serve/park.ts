/**
 * Parking a blocking query (a `Wait` from the handler) in the `WatchSet`
 * until the next inventory version. A release wakes only the requests parked
 * at that moment, so a version served between `handle` and parking would be
 * missed and the request would sleep through news for its whole wait: `park`
 * checks first, and a request whose version is no longer the current one is
 * answered at once. No tick between the two is then assumed.
 */
import type { Answer, HandlerState, Wait } from './handler.js';
import type { WatchSet } from './watches.js';

/** What a parked request listens to: its response's 'close' (the client hung up). Node's `ServerResponse` is one. */
export interface ClosingResponse {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/**
 * Parks `wait` until the next version, its time, or the client hanging up
 * (then undefined), and gives what `wait.resume()` makes then. If the
 * snapshot of `state` is no longer the one the handler saw (`wait.index`),
 * the news is already here: it resumes at once, without parking.
 */
export async function park(wait: Wait, watches: WatchSet, state: Pick<HandlerState, 'snapshot'>, res: ClosingResponse): Promise<Answer | undefined> {
  if ((wait.current?.() ?? state.snapshot.index) !== wait.index) return wait.resume();
  const controller = new AbortController();
  const onClose = (): void => controller.abort();
  res.once('close', onClose);
  try {
    if ((await (wait.watches ?? watches).wait(wait.ms, { signal: controller.signal })) === 'aborted') return undefined;
  } finally {
    res.off('close', onClose);
  }
  return wait.resume();
}
