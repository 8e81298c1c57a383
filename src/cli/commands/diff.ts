/**
 * `muster diff SEL PATH [--against LOCALFILE|HOST]` (DIFFALL): is this file the
 * same everywhere? Hosts grouped by content (missing and unreadable are groups
 * too), each group's folded host list, and a unified diff of every other group
 * against the reference (the largest group unless --against). Exit 0 when all
 * identical, 1 otherwise.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import { describeState, diffFleet, type DiffReference, type DiffReport } from '../../ops/diff.js';
import { escapeControls } from '../../report/escapeControls.js';
import { painter } from '../../report/paint.js';
import { selectFleet, targetOf, type Fleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { newCommand } from '../globals.js';

interface DiffOptions extends FanoutOptions {
  against?: string;
}

/** The `diff` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('diff', 'is this file the same on every host? groups and unified diffs (DIFFALL)'))
    .argument('<selector>', 'which hosts')
    .argument('<path>', 'remote file path')
    .option('--against <file|host>', 'compare with this local file, or with this host\'s copy (default: the largest group)')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster diff web /etc/nginx/nginx.conf',
      '  muster diff web /etc/nginx/nginx.conf --against ./nginx.conf',
      '  muster diff all /etc/resolv.conf --against web01',
      '',
      'Checksums first on every host; each distinct content is read from one host only.',
      'Exit codes: 0 identical everywhere, 1 some host differs / misses it / failed, 2 usage.',
    ].join('\n'))
    .action(async (selector: string, path: string, options: DiffOptions) => {
      const fleet = await selectFleet([selector], options);
      const against = options.against === undefined ? undefined : await referenceOf(options.against, fleet);
      let report: DiffReport | undefined;
      await fanoutWith(fleet.targets, options, {
        command: 'diff',
        selector,
        render: (_result, color) => (report ? formatDiffReport(report, color) : ''),
      }, async (run) => {
        report = await diffFleet(fleet.targets, path, { ...run, ...(against ? { against } : {}), ...(options.sudo ? { sudo: true } : {}) });
        return report.run;
      });
    });
}

/**
 * What `--against NAME` names: a local file (read now), else an inventory host —
 * added to the fleet when the selection left it out, so it is asked too. Throws
 * UsageError when it is neither.
 */
async function referenceOf(name: string, fleet: Fleet): Promise<DiffReference> {
  const isFile = await stat(name).then((info) => info.isFile(), () => false);
  if (isFile) return { file: name, content: await readFile(name) };
  const host = fleet.inventory.hostsByName.get(name);
  if (!host) throw new UsageError(`--against ${name}: no such local file, and no host of that name in the inventory`);
  if (!fleet.hosts.some((selected) => selected.name === name)) {
    fleet.hosts.push(host);
    fleet.targets.push(targetOf(host, fleet.inventory));
  }
  return { host: name };
}

/**
 * The diff view: one line per group (folded hosts, count, what they have; the
 * reference marked), then the unified diff of each other group against it, then
 * the hosts that could not answer.
 */
export function formatDiffReport(report: DiffReport, color = false): string {
  const paint = painter(color);
  const out: string[] = [];
  const versions = report.groups.filter((group) => group.hosts.length > 0).length;
  const reachable = report.groups.reduce((sum, group) => sum + group.hosts.length, 0);
  const only = report.groups.length === 1 ? report.groups[0] : undefined;
  const plural = reachable === 1 ? '' : 's';
  let title = `${versions} version${versions === 1 ? '' : 's'} across ${reachable} host${plural}`;
  if (only?.state.kind === 'content') title = `identical on ${reachable} host${plural}`;
  else if (only) title = `${describeState(only.state)} on all ${reachable} host${plural}`;
  out.push(paint('bold', `${report.path}: ${title}`));
  const labels = report.groups.map((group) => (group.hosts.length > 0 ? `${foldNodeset(group.hosts)} (${group.hosts.length})` : '(no host)'));
  const width = Math.max(...labels.map((label) => label.length));
  report.groups.forEach((group, index) => {
    const mark = group.reference ? `  ${paint('dim', `<- reference (${report.referenceFrom})`)}` : '';
    out.push(`  ${paint(group.reference ? 'green' : 'yellow', (labels[index] ?? '').padEnd(width))}  ${escapeControls(describeState(group.state))}${mark}`);
  });
  for (const group of report.groups) {
    if (group.reference || !group.diff) continue;
    // The diff quotes the hosts' file contents: not trusted with the terminal.
    out.push(paint('dim', '-'.repeat(15)), escapeControls(group.diff.replace(/\n$/, '')));
  }
  const silent = report.outcomes.filter((outcome) => outcome.status !== 'ok' && !report.groups.some((group) => group.hosts.includes(outcome.host)));
  if (silent.length > 0) out.push(paint('red', `not compared: ${foldNodeset(silent.map((outcome) => outcome.host))} (${silent.length}); see the summary`));
  return `${out.join('\n')}\n`;
}
