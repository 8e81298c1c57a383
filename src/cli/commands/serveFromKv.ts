/**
 * `muster serve --from-kv`: the wiring of the bucket source (serve/bucketSource.ts) to the
 * nats feed (transport/nats/kvWatch.ts), here because only the CLI may import both. The
 * broker is the inventory's `agents.servers`, or `--broker` on a machine without the
 * checkout (the point of serving from the bucket); the operator as for `--transport nats`.
 */
import { kvBucket } from '../../core/fleetKv.js';
import { UsageError } from '../../core/errors.js';
import { loadInventory } from '../../inventory/load.js';
import type { Inventory } from '../../inventory/types.js';
import { BucketSource, type ServeOptions } from '../../serve/index.js';
import { openBroker } from '../../transport/nats/broker.js';
import { followBucket } from '../../transport/nats/kvWatch.js';
import { natsSettings } from '../fanout/natsSettings.js';

/** What `--from-kv` reads from the command line. */
export interface FromKvOptions {
  inventory?: string | undefined;
  operator?: string | undefined;
  /** `--broker URL[,URL…]`: the broker without an inventory. */
  broker?: string | undefined;
  /** How long to wait for a first consistent version (default 30 s). */
  firstWaitMs?: number;
}

/** The broker and the operator: from `--broker` (no inventory read) or from the inventory found. */
async function settingsFor(options: FromKvOptions): Promise<ReturnType<typeof natsSettings>> {
  if (options.broker !== undefined) {
    const servers = options.broker.split(',').map((url) => url.trim()).filter((url) => url !== '');
    if (servers.length === 0) throw new UsageError('--broker needs one URL or more, such as tls://broker1:4222,tls://broker2:4222');
    // natsSettings reads only `agents` (servers, state): the state folder then comes from MUSTER_STATE or the default.
    return natsSettings({ agents: { servers } } as unknown as Inventory, options.operator);
  }
  const inventory = await loadInventory(options.inventory !== undefined ? { path: options.inventory } : {});
  return natsSettings(inventory, options.operator);
}

/** `ServeOptions.openSource` for the bucket: checks the operator's files and the broker first, then follows. */
export async function bucketSourceOpener(options: FromKvOptions): Promise<NonNullable<ServeOptions['openSource']>> {
  const settings = await settingsFor(options);
  return (hooks) => BucketSource.open({
    bucket: kvBucket,
    ...hooks,
    ...(options.firstWaitMs !== undefined ? { firstWaitMs: options.firstWaitMs } : {}),
    follow: (listener) => followBucket({
      open: () => openBroker(settings),
      bucket: kvBucket,
      servers: settings.servers,
      reader: `operator ${settings.operator}`,
      listener,
    }),
  });
}
