/**
 * One 'abort' listener per signal, however many requests wait on it. The engine hands every
 * host's connect the same run signal; 5,000 `addEventListener` calls on one EventTarget cost
 * O(n²) (each add walks the listeners already there to refuse duplicates): measured at
 * ~115 ms of a 5,000-host call. Here an add or a removal is one Set operation.
 */
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `handler` once when `signal` aborts (not when it already has: check `signal.aborted`
 * first). Returns the function that stops waiting; call it when the request ends.
 */
export function onAbort(signal: AbortSignal | undefined, handler: () => void): () => void {
  if (!signal) return () => undefined;
  let handlers = waiting.get(signal);
  if (!handlers) {
    const set = new Set<() => void>();
    handlers = set;
    waiting.set(signal, set);
    signal.addEventListener('abort', () => {
      waiting.delete(signal);
      for (const each of [...set]) each();
    }, { once: true });
  }
  const set = handlers;
  set.add(handler);
  return () => void set.delete(handler);
}
