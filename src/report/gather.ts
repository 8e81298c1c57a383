/**
 * Gathering identical results, clubak-style: on 1,000 hosts the output of a
 * command usually takes a handful of distinct shapes, and a person wants to see
 * each shape once with the hosts that produced it.
 */
import { foldNodeset } from '../core/nodeset.js';
import type { Outcome, Status } from '../run/outcome.js';

/** One distinct result and every host that produced it. */
export interface Block {
  status: Status;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The hosts' shared message ("connection refused", "timed out after 2.0s"), if any. */
  message?: string;
  /** Set when some host's output was cut. */
  truncated?: string;
  /** Host names in input order. */
  hosts: string[];
  /** The folded host list, e.g. `web[01-17,19]`. */
  nodeset: string;
  count: number;
}

/** Display order: successes first, then not-started, then failures (the most important last, next to the summary). */
export const statusOrder: readonly Status[] = ['ok', 'changed', 'skipped', 'failed', 'timeout', 'unreachable'];

export interface GatherOptions {
  /** Each host's address: also generalised to `HOST` in messages. */
  addresses?: ReadonlyMap<string, string>;
}

/**
 * Groups outcomes into blocks of identical (status, exit code, stdout, stderr,
 * message). A host's own name (and address, when given) inside its message is
 * generalised to `HOST` so that "web01: connection refused" and "web02:
 * connection refused" gather (a block of one host keeps its message as it was). Blocks come in `statusOrder`; within a status the
 * biggest block first, then first-seen.
 */
export function gather(outcomes: readonly Outcome[], options: GatherOptions = {}): Block[] {
  const blocks = new Map<string, Block>();
  for (const outcome of outcomes) {
    const names = [outcome.host, options.addresses?.get(outcome.host) ?? ''];
    const message = outcome.message === undefined ? undefined : generalise(outcome.message, names);
    const key = JSON.stringify([outcome.status, outcome.exitCode, outcome.stdout, outcome.stderr, message ?? null]);
    let block = blocks.get(key);
    if (!block) {
      block = {
        status: outcome.status,
        exitCode: outcome.exitCode,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        ...(message !== undefined ? { message } : {}),
        hosts: [],
        nodeset: '',
        count: 0,
      };
      blocks.set(key, block);
    }
    if (outcome.truncated !== undefined) block.truncated = outcome.truncated;
    block.hosts.push(outcome.host);
  }
  const list = [...blocks.values()];
  const byHost = new Map(outcomes.map((outcome) => [outcome.host, outcome]));
  for (const block of list) {
    block.count = block.hosts.length;
    block.nodeset = foldNodeset(block.hosts);
    // A block of one host shows its message as it was, names and all.
    const only = block.count === 1 ? byHost.get(block.hosts[0] ?? '') : undefined;
    if (only?.message !== undefined) block.message = only.message;
  }
  const seen = new Map(list.map((block, index) => [block, index]));
  return list.sort((a, b) => statusOrder.indexOf(a.status) - statusOrder.indexOf(b.status)
    || b.count - a.count
    || (seen.get(a) ?? 0) - (seen.get(b) ?? 0));
}

function generalise(message: string, names: string[]): string {
  // Longest first, so an address is not half-replaced by a host name it contains.
  let text = message;
  for (const name of names.filter(Boolean).sort((a, b) => b.length - a.length)) text = text.split(name).join('HOST');
  return text;
}
