/**
 * What the server reads its inventory from: the files of a checkout (`Reloader`) or the
 * KV bucket (`BucketSource`). The handler and the HTTP shell see only this, so a second
 * source is a second class, not a branch in every route.
 */
import type { ReloadOutcome, ReloadState, ReloadWait } from './reloader.js';
import type { Snapshot } from './snapshot.js';
import type { SourceFacts } from './status.js';

/** A source of served snapshots. */
export interface ServedSource {
  /** The snapshot being served. */
  readonly snapshot: Snapshot;
  /** The result of the last attempt to take a new version. */
  readonly last: ReloadState;
  /** How long a reload waits for quiet files (a bucket source: 0, nothing to wait for). */
  readonly settle: { settleMs: number; maxWaitMs: number };
  readonly waiting: ReloadWait | undefined;
  /** Where the snapshot comes from and whether it is current, for /v1/status and /v1/health (files: absent). */
  readonly facts?: SourceFacts | undefined;
  /** Takes a new version now if there is one. */
  reload(): Promise<ReloadOutcome>;
  /** Starts following changes (once the server listens). */
  watch(): void;
  /** Stops following for good. */
  stop(): void;
}
