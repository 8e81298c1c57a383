/**
 * The inventory bucket as `muster pending` and `muster admit` open it: the operator's broker
 * connection (`--operator`, natsSettings.ts) and the bucket, closed together.
 */
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { openBroker } from '../../transport/nats/broker.js';
import { openInventoryBucket } from '../../transport/nats/joinBucket.js';
import type { Inventory } from '../../inventory/types.js';
import { natsSettings } from '../fanout/natsSettings.js';

/** Runs `work` with the bucket open as `operator`; the connection is closed after, whatever happens. */
export async function withInventoryBucket<T>(inventory: Inventory, operator: string | undefined, work: (kv: KV, nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await openBroker(natsSettings(inventory, operator));
  try {
    return await work(await openInventoryBucket(nc), nc);
  } finally {
    await nc.close();
  }
}
