/**
 * The inventory bucket as `muster pending` and `muster admit` open it: the operator's broker
 * connection (`--operator`, natsSettings.ts) and the bucket, closed together.
 */
import type { KV } from '@nats-io/kv';
import { MusterError } from '../../core/errors.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { openBroker } from '../../transport/nats/broker.js';
import { openInventoryBucket } from '../../transport/nats/joinBucket.js';
import type { Inventory } from '../../inventory/types.js';
import { natsSettings } from '../fanout/natsSettings.js';

/** What nats.js throws when the broker says no (a permission, a timeout, a JetStream error), by class name. */
const refusals = new Set(['RequestError', 'PermissionViolationError', 'TimeoutError', 'NoRespondersError', 'JetStreamApiError', 'JetStreamError']);

/**
 * Runs `work` with the bucket open as `operator`; the connection is closed after, whatever
 * happens. The broker refusing a call is one line naming the operator, not a trace.
 */
export async function withInventoryBucket<T>(inventory: Inventory, operator: string | undefined, work: (kv: KV, nc: NatsConnection) => Promise<T>): Promise<T> {
  const settings = natsSettings(inventory, operator);
  const nc = await openBroker(settings);
  try {
    return await work(await openInventoryBucket(nc), nc);
  } catch (error) {
    if (error instanceof Error && refusals.has(error.name)) {
      throw new MusterError(`The broker refused operator ${settings.operator}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    await nc.close();
  }
}
