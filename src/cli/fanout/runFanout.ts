/**
 * The fan-out front as one call: run, push, diff, fetch and apply each pick
 * their hosts, then hand the work to `runFanout` (a job for the engine) or
 * `fanoutWith` (any library call that returns a `RunResult`, such as
 * `diffFleet`). Both check the options, watch the run (progress, `--stream`,
 * Ctrl-C), present the result, journal it and set the exit code.
 *
 * ```ts
 * addFanoutOptions(newCommand('run', '…')).action(async (selector, options) => {
 *   const fleet = await selectFleet([selector], options);
 *   await runFanout(fleet, commandJob(line), options, { command: 'run', selector });
 * });
 * ```
 */
import { runOn, type Job, type RunOptions, type RunResult } from '../../run/engine.js';
import type { RunEvent } from '../../run/events.js';
import type { Outcome } from '../../run/outcome.js';
import { hostRecord } from '../../report/jsonLines.js';
import { failureOf } from '../../transport/factory.js';
import type { SudoAs, Target } from '../../transport/types.js';
import { useColor } from '../globals.js';
import { flagFor } from '../optionFlags.js';
import { inventoryOfTargets, type Fleet } from './fleet.js';
import { journalRun, type JournalNote } from './journal.js';
import { refuseEmpty } from './emptySelection.js';
import { liveJson } from './liveJson.js';
import { listHosts } from './listHosts.js';
import { fanoutSettings, positiveDuration, type FanoutOptions } from './options.js';
import { cappedJob } from './outputCap.js';
import { outputDir } from './outputDir.js';
import { outputSettings, type OutputOptions } from './outputOptions.js';
import { presentRun, type PresentOptions } from './present.js';
import { repeatEvery } from './repeat.js';
import { sudoSettings } from './sudoOptions.js';
import { explainSudoRefusal } from './sudoRefusal.js';
import { streamPrinter } from './streamPrinter.js';
import { watchRun } from './watch.js';

/** How to present and record a fan-out. */
export interface FanoutReport extends JournalNote {
  /** Record the run in the history journal; default true. */
  journal?: boolean;
  /** Replaces the gathered display (not the summary, JSON or stream) when a command shows results its own way. */
  render?: PresentOptions['render'];
  /** Replaces each host's `--json` record when a command has more to say per host (`muster call`'s value). */
  jsonRecord?: (outcome: Outcome) => unknown;
  /**
   * Each host's `--json` record is final when the host is done, so it is written then, and
   * `--json --stream` writes output chunks too (liveJson.ts); default false: records at the end.
   */
  streamJson?: boolean;
}

/**
 * Runs `work` with the engine's options made from `options` (transport, forks,
 * batches, threshold, timeout) plus the watch's signal and events, then presents
 * what it returns (see `presentRun`), journals it (unless `report.journal` is
 * false or there were no hosts) and sets process.exitCode; `--list-hosts` prints the
 * targets instead, `--watch D` does it all again every D. `targets` are the
 * hosts `work` runs on: they size the progress line and give the addresses the
 * gathered view generalises. Returns the result for commands that show more.
 */
export async function fanoutWith(
  targets: readonly Target[],
  options: FanoutOptions,
  report: FanoutReport,
  work: (run: RunOptions) => Promise<RunResult>,
): Promise<RunResult> {
  // The output options (run's -L, -N, --diff, --output-dir, --max-output; absent elsewhere) first: a bad one is a usage error before any host is asked.
  outputSettings(options as FanoutOptions & OutputOptions);
  if (targets.length === 0 && !options.allowEmpty) return refuseEmpty(report.selector);
  if (options.listHosts) return listHosts(targets, options);
  // Asked once, before any host is reached (and not once per --watch round).
  const sudoAs = await sudoSettings(options);
  if (options.watch === undefined) return fanoutOnce(targets, options, report, work, sudoAs);
  const every = positiveDuration(options.watch, '--watch');
  // Each round is a look, not a change to remember: the journal would fill with them.
  return repeatEvery(every, options.watch, `muster ${process.argv.slice(2).join(' ')}`, () => fanoutOnce(targets, options, { ...report, journal: false }, work, sudoAs));
}

/** One fan-out of `fanoutWith`: run, present, journal, exit code. */
async function fanoutOnce(
  targets: readonly Target[],
  options: FanoutOptions,
  report: FanoutReport,
  work: (run: RunOptions) => Promise<RunResult>,
  sudoAs: SudoAs | undefined,
): Promise<RunResult> {
  const output = outputSettings(options as FanoutOptions & OutputOptions);
  const { transport, run } = fanoutSettings(options, { targets, inventory: inventoryOfTargets(targets) }, process.env, sudoAs);
  const out = { stdout: process.stdout, stderr: process.stderr };
  const json = options.json && report.streamJson ? liveJson(out.stdout, { chunks: options.stream ?? false, record: report.jsonRecord ?? hostRecord }) : undefined;
  const printer = options.stream && !options.json
    ? streamPrinter(out, { prefix: output.prefix, ...(output.maxOutputBytes !== undefined ? { maxLineBytes: output.maxOutputBytes } : {}) })
    : undefined;
  const dir = output.outputDir !== undefined ? outputDir(output.outputDir) : undefined;
  // No progress line where lines are printed as they come (--stream; --json records on a terminal).
  const quiet = options.quiet || options.stream || (json !== undefined && process.stdout.isTTY);
  const watch = watchRun({ quiet, json: options.json, stream: false }, targets.length, out);
  const onEvent = (event: RunEvent): void => {
    watch.onEvent(event);
    printer?.(event);
    json?.onEvent(event);
    dir?.onEvent(event);
  };
  const startedAt = new Date();
  let result: RunResult;
  try {
    result = await work({ transport, ...run, nameOption: flagFor, signal: watch.signal, onEvent });
  } finally {
    watch.stop();
    await transport.close?.();
  }
  // The broker unreachable, or refusing this operator the call: every host failed the same
  // way for one reason, which is said once (exit 2) instead of once per host.
  const failure = failureOf(transport);
  if (failure && !result.outcomes.some((outcome) => outcome.status === 'ok' || outcome.status === 'changed')) throw failure;
  if (options.sudo) result = { ...result, outcomes: result.outcomes.map(explainSudoRefusal) };
  const presented = presentRun(result, {
    json: options.json,
    stream: options.stream,
    quiet: options.quiet,
    color: useColor(options, process.stdout),
    addresses: new Map(targets.map((target) => [target.name, target.address])),
    render: report.render,
    jsonRecord: report.jsonRecord,
    jsonWritten: json?.written,
    view: output.view,
    prefix: output.prefix,
  }, out);
  dir?.finish(result, presented.exitCode);
  if (report.journal !== false && targets.length > 0) await journalRun(report, result, startedAt, presented);
  process.exitCode = presented.exitCode;
  return result;
}

/**
 * Runs `job` on the fleet's targets with the engine (`runOn`) and reports as
 * `fanoutWith` does: a progress line on a TTY, then the gathered blocks (stdout)
 * and the summary line (stderr); or `--stream` lines as they come and the non-ok
 * blocks' headers at the end; or `--json` records, each as its host finishes. The first Ctrl-C stops
 * starting hosts and stops the running ones (the report still prints); a second
 * one ends muster at once.
 */
export function runFanout(fleet: Fleet | Target[], job: Job, options: FanoutOptions, report: FanoutReport): Promise<RunResult> {
  const targets = Array.isArray(fleet) ? fleet : fleet.targets;
  const { maxOutputBytes } = outputSettings(options as FanoutOptions & OutputOptions);
  const capped = maxOutputBytes !== undefined ? cappedJob(job, maxOutputBytes) : job;
  return fanoutWith(targets, options, { streamJson: true, ...report }, (run) => runOn(targets, capped, run));
}
