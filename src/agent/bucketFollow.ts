/**
 * Following the inventory's keys in the KV bucket at fleet scale (docs/publish.md). A KV put is
 * a plain publish on `$KV.muster.<key>`, so the changes come on core subscriptions: the
 * broker's work per agent is the interest of four subscriptions, not four JetStream consumers
 * (nats-server 2.9 takes seconds to create each when a thousand agents ask at once, and then
 * pushes every edit through each of them). Every key's last value is read once at the start
 * (and on `reload`) with one short-lived ordered consumer per filter, deleted once read.
 *
 * The subscriptions are made before the read, so nothing published after it is missed; what
 * they deliver during the read is held and given after it, in order: a key read by the consumer
 * and published again since ends at its newer value. Core delivery is at most once (a
 * reconnect loses what was published meanwhile): the caller tells a loss by the version's
 * digest and asks `reload`.
 */
import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { inventoryKeyFilters, kvStream, kvSubject } from '../core/fleetKv.js';

/** One key's change: its new value, or undefined when it was deleted or purged. */
export interface KeyChange {
  key: string;
  value: Uint8Array | undefined;
}

/** What `followBucket` calls. */
export interface BucketHandlers {
  /** Every key's last value (a read from the start): what is held is replaced by these. */
  replace(changes: KeyChange[]): void;
  /** Changes since, in the order they were published. */
  apply(changes: KeyChange[]): void;
  /** A subscription the broker ended (a permissions violation: brokers configured by an older muster). */
  refused(subject: string, error: Error): void;
}

/** A running follow. */
export interface BucketFollower {
  /** Reads every key's last value again (`replace`), then gives what came meanwhile (`apply`). */
  reload(): Promise<void>;
  stop(): void;
}

const keyPrefix = kvSubject('');

/** A put, delete or purge as delivered (a core message or a consumer's): KV says which in a header. */
function changeOf(msg: { subject: string; data: Uint8Array; headers?: Msg['headers'] | undefined }): KeyChange {
  const operation = msg.headers?.get('KV-Operation');
  const deleted = operation === 'DEL' || operation === 'PURGE';
  return { key: msg.subject.slice(keyPrefix.length), value: deleted ? undefined : msg.data };
}

/**
 * Subscribes, reads every key's last value, and from then on gives each change as it comes.
 * `current`, once subscribed, may say the caller already holds every key (a copy on disk that
 * is the published version): then nothing is read, which is what lets a thousand agents
 * restart at once without each reading the whole inventory from the broker.
 */
export async function followBucket(nc: NatsConnection, handlers: BucketHandlers, current: () => Promise<boolean> = async () => false): Promise<BucketFollower> {
  let held: KeyChange[] | undefined = [];
  const subscriptions: Subscription[] = inventoryKeyFilters.map((filter) => nc.subscribe(kvSubject(filter), {
    callback: (error, msg) => {
      if (error) return handlers.refused(kvSubject(filter), error);
      const change = changeOf(msg);
      if (held) held.push(change);
      else handlers.apply([change]);
    },
  }));
  const stop = (): void => { for (const subscription of subscriptions) subscription.unsubscribe(); };
  let reading: Promise<void> | undefined;
  const read = (skip: () => Promise<boolean>): Promise<void> => {
    reading ??= (async () => {
      held ??= [];
      try {
        if (await skip()) return;
        const values: KeyChange[] = [];
        // One filter after the other: a thousand agents starting at once ask a quarter as many consumers at a time.
        for (const filter of inventoryKeyFilters) values.push(...await lastValues(nc, filter));
        handlers.replace(values);
      } finally {
        const since = held ?? [];
        held = undefined;
        reading = undefined;
        if (since.length > 0) handlers.apply(since);
      }
    })();
    return reading;
  };
  try {
    // The broker knows the subscriptions before the read starts.
    await nc.flush();
    await read(current);
  } catch (error) {
    stop();
    throw error;
  }
  return { reload: () => read(async () => false), stop };
}

/** Every key's last value under `filter`, read with one ordered consumer deleted afterwards. */
async function lastValues(nc: NatsConnection, filter: string): Promise<KeyChange[]> {
  const consumer = await jetstream(nc).consumers.getPushConsumer(kvStream, { filter_subjects: kvSubject(filter), deliver_policy: DeliverPolicy.LastPerSubject });
  const pending = (await consumer.info(true)).num_pending;
  const values: KeyChange[] = [];
  try {
    if (pending === 0) return values;
    const messages = await consumer.consume({
      callback: (msg: JsMsg) => {
        values.push(changeOf(msg));
        if (msg.info.pending === 0) messages.stop();
      },
    });
    // Closed by the stop above, or by a fault (the consumer deleted, heartbeats missed): said as one.
    const fault = await messages.closed();
    if (fault instanceof Error) throw fault;
    return values;
  } finally {
    // The broker would keep an ordered consumer five minutes after its reader went.
    void consumer.delete().catch(() => undefined);
  }
}
