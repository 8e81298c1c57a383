/**
 * The handler's state of a running server, read from the live parts: kept
 * apart from handler.ts so the handler stays a function of plain values,
 * bound to neither the source (files or bucket) nor the watch set (its tests may build a
 * state from anything).
 */
import type { HandlerState } from './handler.js';
import type { ServedSource } from './servedSource.js';
import type { WatchSet } from './watches.js';

/**
 * The state of a running server: the source's snapshot, last reload and facts
 * and the number of parked requests, read afresh at each request (so a request
 * parked across a reload is answered from the new snapshot), and `settings`.
 * `startedAt` defaults to now.
 */
export function liveState(reloader: ServedSource, watches: WatchSet, settings: Partial<Pick<HandlerState, 'token' | 'log' | 'random' | 'startedAt' | 'ui'>> = {}): HandlerState {
  return {
    get snapshot() {
      return reloader.snapshot;
    },
    get lastReload() {
      return reloader.last;
    },
    settle: reloader.settle,
    get reloadWait() {
      return reloader.waiting;
    },
    get source() {
      return reloader.facts;
    },
    get watchers() {
      return watches.size;
    },
    startedAt: Date.now(),
    ...settings,
  };
}
