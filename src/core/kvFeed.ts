/**
 * What a watch of a key-value bucket tells its reader, as plain values: in core because the
 * nats side that watches (transport/nats/kvWatch.ts) and the readers that hold the records
 * (serve's bucket source) must agree on it without importing each other (the layer table).
 *
 * A feed starts with `reset` and replays every key's last value, then says `synced` once it
 * has delivered everything the bucket held when it started; later changes follow in the
 * bucket's order. A lost link is `lost`; the feed then starts again with `reset` (a full
 * replay, so a key deleted or purged meanwhile is never held on to).
 */
export type KvFeedEvent =
  /** Forget every key held: a full replay follows. */
  | { kind: 'reset' }
  /** A key's value, `sequence` being its place in the bucket's stream. */
  | { kind: 'put'; key: string; value: Uint8Array; sequence: number }
  /** A key deleted or purged. */
  | { kind: 'delete'; key: string; sequence: number }
  /** Everything the bucket held at the start of this replay has been delivered. */
  | { kind: 'synced'; sequence: number }
  /** The link to the bucket is down (the broker gone, a refusal): what is held may be old. */
  | { kind: 'lost'; error: string };

/** Hears a feed's events, in order. */
export type KvFeedListener = (event: KvFeedEvent) => void;

/** A running watch of one bucket. */
export interface KvFeed {
  /** For messages: `bucket muster at tls://…`. */
  readonly where: string;
  /** Ends the watch and its connection. */
  stop(): Promise<void>;
}
