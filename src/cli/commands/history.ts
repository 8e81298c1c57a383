/**
 * `muster history [ID]`: the local journal of past run/push/apply/diff. Without
 * an id, a list (id, when, who, command, summary); with one, that operation's
 * gathered output again, as it was shown. `--json` for both.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { shellJoin } from '../../core/shell.js';
import { foldNodeset } from '../../core/nodeset.js';
import { getHistory, historyPath, hostsOfRun, listHistory, type HistoryRun } from '../../history/journal.js';
import { failureStatuses, type Status } from '../../run/outcome.js';
import { formatGathered } from '../../report/display.js';
import { gather } from '../../report/gather.js';
import { hostRecord } from '../../report/jsonLines.js';
import { formatSummary } from '../../report/summary.js';
import { newCommand, printJsonLine, useColor, type GlobalOptions } from '../globals.js';

interface HistoryOptions extends GlobalOptions {
  limit: string;
  command?: string;
  hosts?: string;
  output?: string;
}

/** The `history` command. */
export function command(): Command {
  return newCommand('history', 'past runs, pushes, applies and diffs, and their gathered output')
    .argument('[id]', 'show this entry again in full')
    .option('-n, --limit <n>', 'list at most this many entries', '20')
    .option('--command <name>', 'list only this command (run, push, apply, diff)')
    .option('--hosts <status>', 'with ID: only list its hosts with this status (failed = failed, unreachable and timeout; or ok, changed, skipped, …; comma list)')
    .option('-o, --output <format>', 'with --hosts: names (one a line, default) or fold (one nodeset)', 'names')
    .addHelpText('after', [
      '',
      `Kept in \${MUSTER_STATE_DIR:-~/.local/state/muster}/history.db (now: ${historyPath()}).`,
      'Examples:',
      '  muster history',
      '  muster history 42',
      '  muster history 42 --hosts failed -o fold     (then: muster run @failed:42 -- …)',
      '  muster history --json --command push',
    ].join('\n'))
    .action((id: string | undefined, options: HistoryOptions) => {
      if (id === undefined) return list(options);
      if (!/^\d+$/.test(id)) throw new UsageError(`Invalid history id "${id}": give a number from \`muster history\``);
      if (options.hosts !== undefined) return listHosts(Number(id), options.hosts, options.output ?? 'names');
      show(Number(id), options);
    });
}

function list(options: HistoryOptions): void {
  if (!/^\d+$/.test(options.limit) || Number(options.limit) < 1) throw new UsageError(`Invalid --limit "${options.limit}": give a whole number of at least 1`);
  const runs = listHistory({ limit: Number(options.limit), ...(options.command !== undefined ? { command: options.command } : {}) });
  if (options.json) {
    for (const run of runs) printJsonLine(run);
    return;
  }
  if (runs.length === 0) {
    process.stderr.write(`muster: no history yet (${historyPath()})\n`);
    return;
  }
  const rows = runs.map((run) => [String(run.id), when(run), run.user, commandLine(run), run.summary || `${run.hosts} host${run.hosts === 1 ? '' : 's'}`]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length), ['ID', 'WHEN', 'WHO', 'COMMAND'][column]?.length ?? 0));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  ').trimEnd();
  process.stdout.write(`${[line(['ID', 'WHEN', 'WHO', 'COMMAND', 'SUMMARY']), ...rows.map(line)].join('\n')}\n`);
}

function show(id: number, options: HistoryOptions): void {
  const run = getHistory(id, {});
  if (options.json) {
    const { outcomes, ...rest } = run;
    printJsonLine({ type: 'run', ...rest });
    for (const outcome of outcomes) printJsonLine(hostRecord(outcome));
    return;
  }
  const color = useColor(options, process.stdout);
  process.stdout.write(`#${run.id} ${when(run)} by ${run.user} on ${run.machine}: muster ${commandLine(run, Infinity)} (exit ${run.exitCode})\n`);
  process.stdout.write(formatGathered(gather(run.outcomes), { color }));
  process.stdout.write(`${run.summary || formatSummary({ outcomes: run.outcomes, durationMs: run.durationMs })}\n`);
}

const statuses: readonly Status[] = ['ok', 'changed', 'failed', 'unreachable', 'timeout', 'skipped'];

/** `--hosts failed -o fold`: the hosts of run `id` with those statuses, for a shell or a selector. */
function listHosts(id: number, wanted: string, output: string): void {
  if (output !== 'names' && output !== 'fold') throw new UsageError(`Invalid -o "${output}": use names or fold`);
  const picked = new Set<Status>();
  for (const word of wanted.split(',').map((part) => part.trim())) {
    if (word === 'failed') for (const status of failureStatuses) picked.add(status);
    else if ((statuses as readonly string[]).includes(word)) picked.add(word as Status);
    else throw new UsageError(`Invalid --hosts "${word}": use failed (failed, unreachable, timeout) or ${statuses.join(', ')}`);
  }
  const { hosts } = hostsOfRun(id, picked);
  if (hosts.length === 0) return;
  process.stdout.write(output === 'fold' ? `${foldNodeset(hosts)}\n` : `${hosts.join('\n')}\n`);
}

function when(run: HistoryRun): string {
  return `${run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (${formatDuration(run.durationMs)})`;
}

function commandLine(run: HistoryRun, width = 60): string {
  const words = run.argv.length > 0 ? run.argv : [run.command, run.selector];
  const text = shellJoin(words);
  return text.length > width ? `${text.slice(0, width - 3)}...` : text;
}
