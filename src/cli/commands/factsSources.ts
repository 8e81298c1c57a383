/**
 * Where `muster facts` and `muster reconcile` get the facts: over SSH now, from the agents now
 * (`facts.get`), or from the agents' KV bucket. Each way ends as one outcome per selected host
 * (`ok` with the facts in `data`), so both commands treat them alike, and what came is kept
 * in STATE/facts/ for the selectors.
 */
import { stateDirFor } from '../../ca/paths.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import type { Inventory } from '../../inventory/types.js';
import { readBucketFacts } from '../../ops/factsBucket.js';
import { natsFactsJob, sshFactsJob, type FactsData } from '../../ops/factsJob.js';
import { storeFacts } from '../../ops/factsStore.js';
import { runOn, type Job, type RunResult } from '../../run/engine.js';
import type { Outcome } from '../../run/outcome.js';
import { failureOf } from '../../transport/factory.js';
import { openBroker } from '../../transport/nats/broker.js';
import type { Fleet } from '../fanout/fleet.js';
import { natsSettings } from '../fanout/natsSettings.js';
import { defaultNatsForks, fanoutSettings, type FanoutOptions } from '../fanout/options.js';
import { factsOf } from './factsView.js';

/** Where the facts come from: SSH now, the agents now, or the bucket. */
export type FactsWay = 'ssh' | 'agents' | 'bucket';

/** The options that choose the way. */
export interface FactsWayOptions {
  via?: string | undefined;
  refresh?: boolean | undefined;
}

/** The way `options` ask for: `--via ssh` always SSH; else with agents the bucket, or the agents with `--refresh`; else SSH. */
export function factsWay(inventory: Inventory, options: FactsWayOptions): FactsWay {
  if (options.via === 'ssh') return 'ssh';
  const agents = (inventory.agents?.servers.length ?? 0) > 0;
  if (options.via === 'nats' && !agents) throw new UsageError('--via nats needs the broker: the inventory has no agents.servers (see docs/agents.md)');
  if (!agents) return 'ssh';
  return options.refresh ? 'agents' : 'bucket';
}

/** The fan-out options of a way that asks hosts now: its transport, and the agents' larger default forks. */
export function nowOptions(way: 'ssh' | 'agents', options: FanoutOptions): FanoutOptions {
  const forks = options.forks ?? (way === 'agents' ? String(defaultNatsForks) : undefined);
  return { ...options, transport: way === 'ssh' ? 'ssh' : 'nats', ...(forks !== undefined ? { forks } : {}) };
}

/** The job of a way that asks hosts now. */
export function nowJob(way: 'ssh' | 'agents'): Job<FactsData> {
  return way === 'ssh' ? sshFactsJob() : natsFactsJob();
}

/** Asks the hosts now, without the fan-out's report (reconcile shows its own). A broker refusing everything is thrown. */
export async function gatherNow(fleet: Fleet, way: 'ssh' | 'agents', options: FanoutOptions): Promise<RunResult<FactsData>> {
  const { transport, run } = fanoutSettings(nowOptions(way, options), { targets: fleet.targets, inventory: fleet.inventory });
  let result: RunResult<FactsData>;
  try {
    result = await runOn(fleet.targets, nowJob(way), { transport, ...run });
  } finally {
    await transport.close?.();
  }
  const failure = failureOf(transport);
  if (failure && !result.outcomes.some((outcome) => outcome.status === 'ok')) throw failure;
  return result;
}

/**
 * What the agents published, as one outcome per selected host: `ok` with the facts, or
 * `skipped` saying why there are none. Throws EnvironmentError (one line) when the broker
 * cannot be reached or the bucket read.
 */
export async function fromBucket(fleet: Fleet, options: { operator?: string | undefined; connectTimeout?: string | undefined }): Promise<RunResult<FactsData>> {
  const startedAt = performance.now();
  const settings = natsSettings(fleet.inventory, options.operator);
  const nc = await openBroker({ ...settings, ...(options.connectTimeout !== undefined ? { connectTimeoutMs: parseDuration(options.connectTimeout) } : {}) });
  let read;
  try {
    read = await readBucketFacts(nc, fleet.hosts.map((host) => host.name));
  } finally {
    await nc.close();
  }
  const outcomes: Outcome<FactsData>[] = read.map((entry) => entry.found
    ? { host: entry.host, status: 'ok', exitCode: 0, stdout: '', stderr: '', durationMs: 0, data: { facts: entry.facts, seenAt: entry.seenAt, via: 'bucket' } }
    : { host: entry.host, status: 'skipped', exitCode: null, stdout: '', stderr: '', durationMs: 0, message: entry.reason });
  return { outcomes, aborted: false, interrupted: false, durationMs: performance.now() - startedAt };
}

/** Keeps the facts of a result in STATE/facts/ (one file per host, replaced atomically). */
export async function keepFacts(inventory: Inventory, result: RunResult): Promise<void> {
  const gatheredAt = new Date().toISOString();
  await storeFacts(stateDirFor(inventory), [...factsOf(result)].map(([host, data]) => ({ host, via: data.via, gatheredAt, seenAt: data.seenAt, facts: data.facts })));
}
