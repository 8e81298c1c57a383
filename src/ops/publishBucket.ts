/**
 * The publisher's side of the inventory bucket (core/fleetKv.ts, docs/publish.md): opening it
 * (created on the first publish), reading every key's last value once, and saying a broker's
 * refusal in words. The NATS client's errors name subjects and JetStream codes; an operator
 * needs to hear what to grant or what to start.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { kvBucket } from '../core/fleetKv.js';
import { MusterError } from '../core/errors.js';

/** How many values of one key the bucket keeps: enough to look back a few publishes, small enough for 10,000 hosts. */
export const bucketHistory = 5;

/** How long reading the bucket may go without a message before it is called unreachable. */
const readSilenceMs = 10_000;

/** The broker refused the publish: not granted, JetStream off, the bucket unreachable. One line; exit 2. */
export class PublishError extends MusterError {
  override name = 'PublishError';
}

/** The line for an operator the broker does not let write the bucket. */
export function notGrantedMessage(operator: string): string {
  return `operator ${operator} may not publish the inventory: grant it inventory.publish under agents.permissions (then muster broker up to reload)`;
}

/** `error` said for an operator: a permissions violation is the grant missing; anything else names the bucket. */
export function bucketFailure(error: unknown, operator: string): MusterError {
  if (error instanceof MusterError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/permissions violation/i.test(message)) return new PublishError(notGrantedMessage(operator), { cause: error });
  if (/no responders|jetstream (is )?not enabled/i.test(message)) {
    return new PublishError(`the inventory bucket ${kvBucket} is unreachable: the broker answers no JetStream request (is JetStream enabled? muster broker up writes it)`, { cause: error });
  }
  if (/timeout/i.test(message)) return new PublishError(`the inventory bucket ${kvBucket} is unreachable: the broker did not answer in time (${message})`, { cause: error });
  return new PublishError(`the inventory bucket ${kvBucket}: ${message}`, { cause: error });
}

/**
 * The bucket, created when absent with `bucketHistory` and `replicas` (a cluster's nodes,
 * up to 3). An existing bucket is used as it is: its history and replicas are not changed.
 */
export async function openBucket(nc: NatsConnection, replicas: number, operator: string): Promise<KV> {
  try {
    return await new Kvm(nc).create(kvBucket, { history: bucketHistory, replicas });
  } catch (error) {
    throw bucketFailure(error, operator);
  }
}

/** One key's last value as the bucket holds it. */
export interface HeldValue {
  revision: number;
  text: string;
}

/**
 * Every key's last value (deleted keys left out), read with one ordered consumer: 10,000
 * hosts is one stream of messages, not 10,000 requests. Stops when the consumer says
 * nothing is pending; a broker that goes quiet for `readSilenceMs` is a PublishError.
 */
export async function readBucket(kv: KV, operator: string): Promise<Map<string, HeldValue>> {
  const held = new Map<string, HeldValue>();
  try {
    const status = await kv.status();
    if (status.values === 0) return held;
    const entries = await kv.watch({ key: '>' });
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => entries.stop(), readSilenceMs);
    };
    arm();
    let complete = false;
    try {
      for await (const entry of entries) {
        arm();
        if (entry.operation === 'PUT') held.set(entry.key, { revision: entry.revision, text: entry.string() });
        else held.delete(entry.key);
        if (entry.delta === 0) {
          complete = true;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
      entries.stop();
    }
    if (!complete) throw new PublishError(`the inventory bucket ${kvBucket} is unreachable: reading its keys stopped for ${readSilenceMs / 1000} s`);
  } catch (error) {
    throw bucketFailure(error, operator);
  }
  return held;
}
