/**
 * `muster reconcile [SEL] [--via ssh|nats] [--refresh] [--max-unseen 15m]`: the hosts whose
 * facts contradict the inventory (ops/reconcile.ts says the rules: address, hostname, a
 * `stop` host that answers, a host that should run but is not seen). The facts come as for
 * `muster facts` (factsSources.ts); every selected host is checked, skip states included
 * (a stopped host that answers is the point). Gathered: each distinct finding once with its
 * hosts folded; exit 1 when any host contradicts the inventory, 0 otherwise; `--json` records.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import type { Host } from '../../inventory/types.js';
import type { FactsData } from '../../ops/factsJob.js';
import { reconcile, type Observed, type Reconciled } from '../../ops/reconcile.js';
import type { RunResult } from '../../run/engine.js';
import { escapeControls } from '../../report/escapeControls.js';
import { painter } from '../../report/paint.js';
import { exitCodes } from '../exit.js';
import { selectFleet } from '../fanout/fleet.js';
import type { FanoutOptions } from '../fanout/options.js';
import { newCommand, printJsonLine, useColor } from '../globals.js';
import { factsWay, fromBucket, gatherNow, keepFacts } from './factsSources.js';

interface ReconcileOptions extends FanoutOptions {
  via?: 'ssh' | 'nats';
  refresh?: boolean;
  maxUnseen: string;
}

/** The `reconcile` command. */
export function command(): Command {
  return newCommand('reconcile', 'hosts whose facts contradict the inventory: address, hostname, stopped but answering, not seen')
    .argument('[selector]', 'which hosts (default all; hosts in skip_states are always included)', 'all')
    .addOption(new Option('--via <way>', 'ssh: gather now over SSH; nats: from the agents (default: nats when the inventory has agents.servers)').choices(['ssh', 'nats']))
    .option('--refresh', 'with agents: ask every agent now instead of reading what they published')
    .option('--max-unseen <duration>', 'a host whose agent last published longer ago than this is not seen (and a stopped one seen since is answering)', '15m')
    .option('-f, --forks <n>', 'hosts asked at once (default 64 over ssh, 5000 over nats)')
    .option('--connect-timeout <duration>', 'give up connecting to a host (or the broker) after this long')
    .option('--timeout <duration>', 'per host, for gathering after connecting')
    .option('--operator <name>', 'nats: the operator certificate to use (default: $MUSTER_OPERATOR, else the only one in STATE/ca/operators/)')
    .option('--accept-new', 'ssh: record unknown host keys (as OpenSSH accept-new)')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster reconcile                  # every host, from the agents\' bucket (or over SSH without agents)',
      '  muster reconcile web --via ssh',
      '  muster reconcile --max-unseen 5m --json',
      '',
      'Rules (docs/facts.md): the inventory address must be on the host (loopback networks count);',
      'the hostname must match the inventory name (case-insensitive; a short name matches its first',
      'label); a host in skip_states must not answer; any other host must answer (seen within --max-unseen).',
      'Exit codes: 0 every host agrees, 1 some host contradicts the inventory, 2 usage, inventory or broker error.',
    ].join('\n'))
    .action(async (selector: string, options: ReconcileOptions) => {
      const maxUnseenMs = parseDuration(options.maxUnseen);
      if (maxUnseenMs <= 0) throw new UsageError(`Invalid --max-unseen "${options.maxUnseen}": must be more than 0`);
      const fleet = await selectFleet([selector], { ...options, allStates: true });
      const way = factsWay(fleet.inventory, options);
      const result = way === 'bucket' ? await fromBucket(fleet, options) : await gatherNow(fleet, way, options);
      await keepFacts(fleet.inventory, result);
      const observed = await Promise.all(fleet.hosts.map((host, at) => observe(host, result, at, way !== 'bucket')));
      const reconciled = reconcile(observed, { skipStates: fleet.inventory.skipStates, maxUnseenMs, now: new Date() });
      const wrong = reconciled.filter((entry) => entry.findings.length > 0);
      process.exitCode = wrong.length > 0 ? exitCodes.failed : exitCodes.ok;
      if (options.json) {
        for (const entry of reconciled) printJsonLine({ type: 'host', ...entry });
        printJsonLine({ type: 'summary', hosts: reconciled.length, agree: reconciled.length - wrong.length, contradict: wrong.length, exitCode: process.exitCode });
        return;
      }
      process.stdout.write(formatReconciled(reconciled, { color: useColor(options, process.stdout), quiet: options.quiet === true }));
      process.stderr.write(`${summaryLine(reconciled)}\n`);
    });
}

/** What was learnt of `host` (outcome `at` of `result`); `now`: the host was asked now, so its status says whether it answered. */
async function observe(host: Host, result: RunResult, at: number, now: boolean): Promise<Observed> {
  const outcome = result.outcomes[at];
  const data = outcome?.status === 'ok' ? (outcome.data as FactsData | undefined) : undefined;
  let answered: Observed['answered'];
  if (now && outcome) {
    // A host that ran the script but gave no facts still answered; only a host not reached did not.
    const reached = outcome.status !== 'unreachable' && outcome.status !== 'timeout' && outcome.status !== 'skipped';
    answered = reached ? { ok: true } : { ok: false, why: outcome.message ?? outcome.status };
  }
  return { host, facts: data?.facts, seenAt: data?.seenAt, answered, resolved: await resolve(host.address) };
}

/** The IP addresses a host's address stands for: itself when it is one, else what it resolves to (undefined: nothing). */
async function resolve(address: string): Promise<string[] | undefined> {
  if (isIP(address)) return [address];
  try {
    return (await lookup(address, { all: true })).map((entry) => entry.address);
  } catch {
    // Does not resolve: the finding says so.
    return undefined;
  }
}

/** The gathered view: the hosts that agree on one line, then each distinct finding with its hosts folded. */
export function formatReconciled(reconciled: readonly Reconciled[], options: { color: boolean; quiet: boolean }): string {
  const paint = painter(options.color);
  const agree = reconciled.filter((entry) => entry.findings.length === 0).map((entry) => entry.host);
  const blocks = new Map<string, { kind: string; hosts: string[] }>();
  for (const entry of reconciled) {
    for (const finding of entry.findings) {
      const key = `${finding.kind}: ${finding.message}`;
      const block = blocks.get(key);
      if (block) block.hosts.push(entry.host);
      else blocks.set(key, { kind: finding.kind, hosts: [entry.host] });
    }
  }
  const rows: [string, string][] = [];
  if (agree.length > 0 && !options.quiet) rows.push([`${foldNodeset(agree)} (${agree.length})`, paint('green', 'agree with the inventory')]);
  for (const [text, block] of blocks) rows.push([`${foldNodeset(block.hosts)} (${block.hosts.length})`, paint('red', escapeControls(text))]);
  const width = Math.max(0, ...rows.map(([hosts]) => hosts.length));
  return rows.map(([hosts, text]) => `${paint('bold', hosts.padEnd(width))}  ${text}\n`).join('');
}

/** `6 hosts: 4 agree, 2 contradict the inventory (address 1, answers 1)`. */
function summaryLine(reconciled: readonly Reconciled[]): string {
  const kinds = new Map<string, number>();
  for (const entry of reconciled) for (const finding of entry.findings) kinds.set(finding.kind, (kinds.get(finding.kind) ?? 0) + 1);
  const wrong = reconciled.filter((entry) => entry.findings.length > 0).length;
  const detail = kinds.size > 0 ? ` (${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')})` : '';
  return `${reconciled.length} host${reconciled.length === 1 ? '' : 's'}: ${reconciled.length - wrong} agree, ${wrong} contradict${wrong === 1 ? 's' : ''} the inventory${detail}`;
}
