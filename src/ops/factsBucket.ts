/**
 * The facts the agents published: key `facts.<T>` of the `muster` KV bucket (core/fleetKv.ts),
 * whose value is `facts.get`'s result plus `seenAt` (ISO 8601, when the agent gathered them),
 * read by an operator over its own broker connection (transport/nats/broker.ts `openBroker`).
 * A host without that key has not published (no agent yet, or it never came up): it is
 * `missing`, not a failure of the read. A bucket that does not exist, or a broker that
 * refuses the read, is one `EnvironmentError` line for the whole operation.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { EnvironmentError } from '../core/errors.js';
import { factsKey, kvBucket } from '../core/fleetKv.js';
import { pooledSettled } from '../core/pool.js';

/** What the bucket holds for one host. */
export type BucketFacts =
  | { host: string; found: true; facts: Record<string, unknown>; seenAt: string }
  | { host: string; found: false; reason: string };

/** Keys read at once: each is one small request on the one connection. */
const readsAtOnce = 256;

/**
 * The bucket, bound without a request (the client checks nothing until the first read: a
 * missing bucket shows as "stream not found" there, see `bucketError`). An operator's read
 * never creates it.
 */
function openBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).open(kvBucket);
}

/** A failed read as one line: the bucket missing, or what the broker said. */
function bucketError(error: unknown): EnvironmentError {
  const message = error instanceof Error ? error.message : String(error);
  if (/stream not found|not found/i.test(message)) {
    return new EnvironmentError(`The broker has no KV bucket "${kvBucket}": no agent has published facts yet (use muster facts --via ssh, or --refresh to ask the agents)`, { cause: error });
  }
  return new EnvironmentError(`Cannot read facts from the KV bucket "${kvBucket}": ${message}`, { cause: error });
}

/** A published value as facts and seenAt; a reason when it is not a facts record. */
export function parseFactsValue(text: string, created: Date): { facts: Record<string, unknown>; seenAt: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'its facts record is not JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'its facts record is not an object';
  const { seenAt, ...facts } = value as Record<string, unknown>;
  return { facts, seenAt: typeof seenAt === 'string' && !Number.isNaN(Date.parse(seenAt)) ? seenAt : created.toISOString() };
}

/** Reads the facts of `hosts` from the bucket, one result per host in order. */
export async function readBucketFacts(nc: NatsConnection, hosts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<BucketFacts[]> {
  let kv: KV;
  try {
    kv = await openBucket(nc);
  } catch (error) {
    throw bucketError(error);
  }
  const results = await pooledSettled(hosts, async (host): Promise<BucketFacts> => {
    const entry = await kv.get(factsKey(host));
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return { host, found: false, reason: 'no facts in the bucket (its agent has not published)' };
    const parsed = parseFactsValue(entry.string(), entry.created);
    return typeof parsed === 'string' ? { host, found: false, reason: parsed } : { host, found: true, ...parsed };
  }, { limit: readsAtOnce, ...(options.signal ? { signal: options.signal } : {}) });
  const refused = results.find((result) => result.status === 'rejected');
  if (refused?.status === 'rejected') throw bucketError(refused.reason);
  return results.map((result, at) => (result.status === 'fulfilled' ? result.value : { host: hosts[at] as string, found: false, reason: 'not read (interrupted)' }));
}
