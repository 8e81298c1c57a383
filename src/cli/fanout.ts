/**
 * What run, push, diff, fetch and apply share: the fan-out options, picking the
 * hosts, turning them into transport targets, and running a job on them with
 * Ctrl-C handling, a progress line, the gathered / streamed / JSON Lines report
 * and the exit code.
 *
 * Typical use in a command:
 *
 * ```ts
 * addFanoutOptions(newCommand('run', '…')).action(async (selector, options) => {
 *   const fleet = await selectFleet([selector], options);
 *   await runFanout(fleet, commandJob(line), options, { command: 'run', selector });
 * });
 * ```
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import type { Host, Inventory } from '../inventory/types.js';
import { defaultForks, runOn, type Job, type RunResult } from '../run/engine.js';
import type { RunEvent } from '../run/events.js';
import { failureStatuses } from '../run/outcome.js';
import { describeBlock, formatGathered } from '../report/display.js';
import { gather } from '../report/gather.js';
import { hostRecord, summaryRecord } from '../report/jsonLines.js';
import { lineStream, type LineStream } from '../report/lineStream.js';
import { painter } from '../report/paint.js';
import { Progress } from '../report/progress.js';
import { formatSummary } from '../report/summary.js';
import { transportFor, transportNames } from '../transport/index.js';
import type { Target } from '../transport/types.js';
import { exitCodes } from './exit.js';
import { inventoryFor, selectFor } from './inventory.js';
import { printJsonLine, useColor, type GlobalOptions } from './globals.js';

/** The parsed fan-out options (commander's camelCase names). */
export interface FanoutOptions extends GlobalOptions {
  forks: string;
  connectTimeout?: string;
  timeout?: string;
  batch?: string;
  maxFail?: string;
  sudo?: boolean;
  stream?: boolean;
  transport: string;
  acceptNew?: boolean;
  allStates?: boolean;
}

/** Adds the shared fan-out options (DESIGN.md, "Fan-out options") to a command. */
export function addFanoutOptions(command: Command): Command {
  return command
    .option('-f, --forks <n>', 'hosts running at once', String(defaultForks))
    .option('--connect-timeout <duration>', 'give up connecting to a host after this long (default: ssh_config ConnectTimeout, else 10s)')
    .option('--timeout <duration>', 'per host, for the work after connecting: the remote command is killed and the host is `timeout`')
    .option('--batch <sizes>', 'rolling batches, e.g. 1,5,25% (a canary, then wider; the last size repeats; P% of the selected hosts, rounded up)')
    .option('--max-fail <n|p%>', 'once failures (failed, unreachable, timeout) EXCEED this, start no more hosts (P% of the selected hosts, rounded down)')
    .option('--sudo', 'run remote commands through sudo -n')
    .option('--stream', 'print output lines as they come, as `host: line`, instead of the gathered view')
    .addOption(new Option('--transport <name>', 'how to reach hosts').choices([...transportNames]).default('ssh'))
    .option('--accept-new', 'record unknown host keys (as OpenSSH accept-new); changed keys are always refused')
    .option('--all-states', 'include hosts whose state is in skip_states');
}

/** The selected hosts of an operation, and their transport targets (same order). */
export interface Fleet {
  inventory: Inventory;
  hosts: Host[];
  targets: Target[];
}

/**
 * Where to connect for an inventory host: its name (matched against ssh_config
 * `Host` patterns), address, and user/port when the inventory sets them, plus the
 * inventory's `ssh_config` file.
 */
export function targetOf(host: Host, inventory: Inventory): Target {
  return {
    name: host.name,
    address: host.address,
    ...(host.user !== undefined ? { user: host.user } : {}),
    ...(host.port !== undefined ? { port: host.port } : {}),
    ...(inventory.sshConfig !== undefined ? { sshConfig: inventory.sshConfig } : {}),
  };
}

/**
 * Loads the inventory (`-i`, else $MUSTER_INVENTORY, else muster.yaml/inventory/
 * here or above), selects hosts, and says on stderr how many were left out for
 * their state (folded), unless `-q`. Throws SelectorError / InvalidFileError (exit 2).
 */
export async function selectFleet(selectors: string[], options: FanoutOptions): Promise<Fleet> {
  const inventory = await inventoryFor(options);
  const selection = selectFor(inventory, selectors, options);
  return { inventory, hosts: selection.hosts, targets: selection.hosts.map((host) => targetOf(host, inventory)) };
}

/** How to present and record a fan-out. */
export interface FanoutReport {
  /** The command name for the history journal (`run`, `push`, …). */
  command: string;
  /** The selector(s) as given, for the journal. */
  selector: string;
  /** The command line after `muster`, for the journal; default process.argv. */
  argv?: string[];
  /** Record the run in the history journal; default true. */
  journal?: boolean;
  /** Replaces the gathered display (not the summary, JSON or stream) when a command shows results its own way. */
  render?: (result: RunResult) => string;
  /**
   * Rewrites the finished run before anything is shown, journaled or turned into
   * an exit code — for commands whose outcome depends on every host's answer
   * (`diff`: a host "differs" only once the reference group is known).
   */
  finish?: (result: RunResult) => RunResult | Promise<RunResult>;
}

/** The exit code of a finished run: 130 interrupted, 3 aborted by --max-fail, 1 some host failed, else 0. */
export function fanoutExitCode(result: RunResult): number {
  if (result.interrupted) return exitCodes.interrupted;
  if (result.aborted) return exitCodes.aborted;
  return result.outcomes.some((outcome) => failureStatuses.has(outcome.status)) ? exitCodes.failed : exitCodes.ok;
}

/**
 * Runs the job on the fleet and reports: a progress line on a TTY (stderr), then
 * the gathered blocks (stdout) and the summary line (stderr); or with `--stream`
 * `host: line` as output comes and the non-ok blocks' headers at the end; or with
 * `--json` one JSON Lines record per host and a summary record (stdout). The first
 * Ctrl-C stops starting hosts and stops the running ones (the report still
 * prints); a second one ends muster at once. Sets process.exitCode (see
 * `fanoutExitCode`) and returns the result for commands that show more.
 */
export async function runFanout(
  fleet: Fleet | Target[],
  job: Job,
  options: FanoutOptions,
  report: FanoutReport,
): Promise<RunResult> {
  const targets = Array.isArray(fleet) ? fleet : fleet.targets;
  const forks = parseCount(options.forks, '--forks');
  const connectTimeoutMs = options.connectTimeout !== undefined ? positiveDuration(options.connectTimeout, '--connect-timeout') : undefined;
  const timeoutMs = options.timeout !== undefined ? positiveDuration(options.timeout, '--timeout') : undefined;
  const transport = transportFor(options.transport, {
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    ...(options.acceptNew ? { acceptNew: true } : {}),
  });

  const streams = new Map<string, { out: LineStream; err: LineStream }>();
  const streaming = options.stream === true && !options.json;
  const streamOf = (host: string): { out: LineStream; err: LineStream } => {
    let pair = streams.get(host);
    if (!pair) {
      const prefix = host;
      pair = {
        out: lineStream(prefix, (text) => process.stdout.write(text)),
        err: lineStream(prefix, (text) => process.stderr.write(text)),
      };
      streams.set(host, pair);
    }
    return pair;
  };

  const progress = process.stderr.isTTY && !options.quiet && !options.stream && targets.length > 0
    ? new Progress({ stream: process.stderr, total: targets.length })
    : undefined;
  const onEvent = (event: RunEvent): void => {
    progress?.onEvent(event);
    if (event.type === 'output' && streaming) {
      const pair = streamOf(event.host);
      (event.stream === 'stdout' ? pair.out : pair.err).push(event.chunk);
    }
    if (event.type === 'host-done') {
      const pair = streams.get(event.outcome.host);
      pair?.out.flush();
      pair?.err.flush();
    }
  };

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      progress?.clear();
      process.stderr.write('muster: interrupted: starting no more hosts, stopping the running ones (Ctrl-C again to quit at once)\n');
      controller.abort(new Error('interrupted'));
      return;
    }
    // The second Ctrl-C: let the default action end the process now.
    process.off('SIGINT', onSigint);
    process.kill(process.pid, 'SIGINT');
  };
  process.on('SIGINT', onSigint);

  const startedAt = new Date();
  let result: RunResult;
  try {
    result = await runOn(targets, job, {
      transport,
      forks,
      ...(options.batch !== undefined ? { batch: options.batch } : {}),
      ...(options.maxFail !== undefined ? { maxFail: options.maxFail } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      signal: controller.signal,
      onEvent,
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress?.clear();
  }

  if (report.finish) result = await report.finish(result);
  const exitCode = fanoutExitCode(result);
  const addresses = new Map(targets.map((target) => [target.name, target.address]));
  const summary = formatSummary(result);
  if (options.json) {
    for (const outcome of result.outcomes) printJsonLine(hostRecord(outcome));
    printJsonLine(summaryRecord(result, exitCode));
  } else {
    const color = useColor(options, process.stdout);
    if (options.stream) {
      const paint = painter(color);
      const notOk = gather(result.outcomes, { addresses }).filter((block) => block.status !== 'ok' && block.status !== 'changed');
      for (const block of notOk) process.stdout.write(`${paint('bold', block.nodeset)} (${block.count}) ${describeBlock(block)}\n`);
    } else if (report.render) {
      process.stdout.write(report.render(result));
    } else {
      process.stdout.write(formatGathered(gather(result.outcomes, { addresses }), { color, ...(options.quiet ? { hide: new Set(['ok', 'changed'] as const) } : {}) }));
    }
    process.stderr.write(`${summary}\n`);
  }
  if (report.journal !== false && targets.length > 0) {
    const { journal } = await import('../ops/history.js');
    journal({
      command: report.command,
      argv: report.argv ?? process.argv.slice(2),
      selector: report.selector,
      outcomes: result.outcomes,
      startedAt,
      durationMs: result.durationMs,
      exitCode,
      summary,
    });
  }
  process.exitCode = exitCode;
  return result;
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`Invalid ${flag} "${text}": give a whole number of at least 1`);
  return Number(text);
}

function positiveDuration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new UsageError(`Invalid ${flag} "${text}": must be more than 0`);
  return ms;
}
