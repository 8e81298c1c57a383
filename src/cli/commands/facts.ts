/**
 * `muster facts [SEL] [--via ssh|nats] [--refresh]`: what the hosts are (os, kernel, cpus,
 * memory, disks, addresses, uptime), gathered by key with identical values folded across
 * hosts. Where they come from (factsSources.ts):
 * - `--via ssh` (the default when the inventory has no agents): the facts script over SSH now;
 * - with agents (`agents.servers`), the default reads what the agents published in the KV
 *   bucket (`facts.<T>`), and `--refresh` asks every agent now (`facts.get`, as `muster call`).
 * Whatever came back is kept in STATE/facts/ for `fact.KEY=VALUE` selectors and reconcile.
 */
import { Option, type Command } from 'commander';
import { foldNodeset } from '../../core/nodeset.js';
import type { FactsData } from '../../ops/factsJob.js';
import { runOn, type RunResult } from '../../run/engine.js';
import { selectFleet } from '../fanout/fleet.js';
import type { FanoutOptions } from '../fanout/options.js';
import { presentRun } from '../fanout/present.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { newCommand, useColor } from '../globals.js';
import { factsWay, fromBucket, keepFacts, nowJob, nowOptions } from './factsSources.js';
import { factsRecord, formatFactsDocument, formatFactsTable } from './factsView.js';

interface FactsOptions extends FanoutOptions {
  via?: 'ssh' | 'nats';
  refresh?: boolean;
  output: 'table' | 'json' | 'yaml';
}

/** The `facts` command. */
export function command(): Command {
  return newCommand('facts', 'what the hosts are: os, kernel, cpus, memory, disks, addresses, uptime, gathered')
    .argument('[selector]', 'which hosts (default all; a role, group, host, nodeset, KEY=VALUE, fact.KEY=VALUE)', 'all')
    .addOption(new Option('--via <way>', 'ssh: gather now over SSH; nats: from the agents (default: nats when the inventory has agents.servers)').choices(['ssh', 'nats']))
    .option('--refresh', 'with agents: ask every agent now (facts.get) instead of reading what they published')
    .addOption(new Option('-o, --output <format>', 'table (gathered by key), or one json/yaml document').choices(['table', 'json', 'yaml']).default('table'))
    .option('-f, --forks <n>', 'hosts asked at once (default 64 over ssh, 5000 over nats)')
    .option('--connect-timeout <duration>', 'give up connecting to a host (or the broker) after this long')
    .option('--timeout <duration>', 'per host, for gathering after connecting')
    .option('--operator <name>', 'nats: the operator certificate to use (default: $MUSTER_OPERATOR, else the only one in STATE/ca/operators/)')
    .option('--accept-new', 'ssh: record unknown host keys (as OpenSSH accept-new)')
    .option('--all-states', 'include hosts whose state is in skip_states')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster facts                      # every host, gathered by key',
      '  muster facts web --via ssh        # gather now over SSH',
      '  muster facts all --refresh        # ask the agents now',
      "  muster ls 'fact.os.codename=bookworm'",
      '',
      'The facts gathered are kept in STATE/facts/HOST.json (fact.KEY=VALUE selectors read them).',
      'Exit codes: 0 every host gave facts (from the bucket: was read; a host without a record is',
      'skipped), 1 some host failed/unreachable, 2 usage or inventory error, or the broker/bucket cannot be read.',
    ].join('\n'))
    .action(async (selector: string, options: FactsOptions) => {
      const fleet = await selectFleet([selector], options);
      const way = factsWay(fleet.inventory, options);
      const render = options.output === 'table' ? formatFactsTable : (result: RunResult) => formatFactsDocument(result, options.output === 'json' ? 'json' : 'yaml');
      let result: RunResult;
      if (way === 'bucket') {
        result = await fromBucket(fleet, options);
        const presented = presentRun(result, { json: options.json, color: useColor(options, process.stdout), render, jsonRecord: factsRecord }, { stdout: process.stdout, stderr: process.stderr });
        process.exitCode = presented.exitCode;
        if (!options.quiet && !options.json) process.stderr.write(staleNotice(result, Date.now()));
      } else {
        // As a fan-out: the progress line, Ctrl-C, the summary line and the exit code of `run`.
        result = await fanoutWith(fleet.targets, nowOptions(way, options), { command: 'facts', selector, journal: false, render, jsonRecord: factsRecord },
          (run) => runOn(fleet.targets, nowJob(way), run));
      }
      await keepFacts(fleet.inventory, result);
    });
}

/** Facts published longer ago than this are said to be old (reconcile's default `--max-unseen`). */
const staleAfterMs = 15 * 60_000;

/** `muster: the facts of 2 hosts are older than 15m (web[1-2]) …`, or '' when every record is recent. */
export function staleNotice(result: RunResult, now: number): string {
  const stale = result.outcomes.filter((outcome) => {
    const seenAt = (outcome.data as FactsData | undefined)?.seenAt;
    return seenAt !== undefined && now - Date.parse(seenAt) > staleAfterMs;
  }).map((outcome) => outcome.host);
  if (stale.length === 0) return '';
  const count = stale.length;
  return `muster: the facts of ${count} host${count === 1 ? '' : 's'} are older than 15m (${foldNodeset(stale)}): ${count === 1 ? 'its agent has' : 'their agents have'} not published since; --refresh asks them now\n`;
}
