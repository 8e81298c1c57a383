/**
 * The agent publishes its own facts to the inventory bucket (`facts.<host>`, the one key the
 * broker lets it write; docs/publish.md): the facts module's `get` value, the agent's version
 * and `seenAt`, on start and whenever they change. They are gathered again every `everyMs`;
 * values that always move (uptime, free memory and disk space) do not count as a change, or
 * every host would write every time; they are sent with the next change, or at the latest
 * every `refreshMs`, so `seenAt` is never older than that on a host whose agent runs.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { factsKey, kvBucket } from '../core/fleetKv.js';
import { factsModule } from './modules/facts.js';
import { agentVersion } from './version.js';

/** Options of `publishFacts`. */
export interface FactsPublisherOptions {
  nc: NatsConnection;
  host: string;
  log: (line: string) => void;
  /** How often facts are gathered again; default 5 minutes. */
  everyMs?: number;
  /** The longest a host's facts go without being put; default 1 hour. */
  refreshMs?: number;
  /** How soon a put that failed (no bucket yet, broker away) is tried again; default 10 s. */
  retryMs?: number;
}

/** A running facts publisher. */
export interface FactsPublisher {
  /** How many puts succeeded. */
  puts(): number;
  stop(): void;
}

/** The facts without the values that move all the time: what a change is measured on. */
export function stableFacts(facts: Record<string, unknown>): string {
  return JSON.stringify(facts, (key, value: unknown) => {
    if (key === 'uptime' || key === 'free' || key === 'used') return undefined;
    return value;
  });
}

/** Starts publishing; runs until `stop`. */
export function publishFacts(options: FactsPublisherOptions): FactsPublisher {
  const everyMs = options.everyMs ?? 5 * 60_000;
  const refreshMs = options.refreshMs ?? 60 * 60_000;
  const retryMs = options.retryMs ?? 10_000;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let kv: KV | undefined;
  let last: { stable: string; at: number } | undefined;
  let puts = 0;
  let failing = '';

  const cycle = async (): Promise<void> => {
    let next = everyMs;
    try {
      const facts = await factsModule.actions.get({}, { host: options.host, signal: abort.signal, log: options.log }) as Record<string, unknown>;
      const stable = stableFacts(facts);
      if (!last || last.stable !== stable || Date.now() - last.at >= refreshMs) {
        kv ??= await new Kvm(options.nc).open(kvBucket);
        await kv.put(factsKey(options.host), JSON.stringify({ ...facts, agent: { version: agentVersion() }, seenAt: new Date().toISOString() }));
        last = { stable, at: Date.now() };
        puts += 1;
        if (failing) options.log(`facts published to ${kvBucket} again`);
        failing = '';
      }
    } catch (error) {
      const message = (error as Error).message;
      // One line per kind of failure, not one every retry.
      if (message !== failing && !abort.signal.aborted) options.log(`cannot publish this host's facts to ${kvBucket}: ${message}; trying again`);
      failing = message;
      next = retryMs;
    }
    if (abort.signal.aborted) return;
    timer = setTimeout(() => void cycle(), next);
    timer.unref();
  };
  void cycle();
  return {
    puts: () => puts,
    stop() {
      abort.abort();
      clearTimeout(timer);
    },
  };
}
