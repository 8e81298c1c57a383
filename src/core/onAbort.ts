/**
 * Following an abort signal cheaply, for what runs once per host. `AbortSignal.any` costs
 * ~60 µs and a weak-ref registration per call in Node 20 (60 ms and much of the GC of a
 * 1,000-host run over agents), and 5,000 `addEventListener` calls on one run signal are
 * O(n²) (each add walks the listeners already there to refuse duplicates). Here a follower
 * is one Set entry, and the signal has one listener however many follow it.
 */
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `handler` once when `signal` aborts (not when it already has: check `signal.aborted`
 * first). Returns the function that stops waiting; call it when the work ends.
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

/**
 * A controller of its own that also aborts, with the parent's reason, when `parent` does:
 * what `AbortSignal.any([parent, own.signal])` gives, without its cost. Call `release()`
 * when the work ends, so the parent does not keep it.
 */
export function followingAbort(parent: AbortSignal | undefined): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return { controller, release: () => undefined };
  }
  const release = onAbort(parent, () => controller.abort(parent?.reason));
  return { controller, release };
}
