/**
 * How drift (and converge --check) shows the fleet: per path, one line per group
 * of hosts (folded, counted, what they have), then each group's diff once. Hosts
 * that could not answer are named last; the run's summary line follows.
 */
import { foldNodeset } from '../../core/nodeset.js';
import type { Outcome } from '../../run/outcome.js';
import { escapeControls } from '../../report/escapeControls.js';
import { hostRecord } from '../../report/jsonLines.js';
import { painter } from '../../report/paint.js';
import { plural, type HostDrift, type PathReport } from '../../ops/drift.js';

/** The drift view of `reports`; `silent` are the hosts that gave no answer. */
export function formatDrift(reports: readonly PathReport[], silent: readonly string[], color = false): string {
  const paint = painter(color);
  const out: string[] = [];
  let drifted = 0;
  for (const report of reports) {
    const total = report.groups.reduce((sum, group) => sum + group.hosts.length, 0);
    const synced = report.groups.find((group) => group.verdict === 'in sync')?.hosts.length ?? 0;
    if (synced !== total) drifted += 1;
    const title = synced === total ? `in sync on ${plural(total, 'host')}` : `${synced} in sync, ${total - synced} not, of ${plural(total, 'host')}`;
    out.push(paint('bold', `${report.path}: ${title}`));
    const labels = report.groups.map((group) => `${foldNodeset(group.hosts)} (${group.hosts.length})`);
    const width = Math.max(...labels.map((label) => label.length));
    report.groups.forEach((group, index) => {
      const what = group.details.length > 0 ? `${group.verdict}: ${group.details.join(', ')}` : group.verdict;
      out.push(`  ${paint(group.verdict === 'in sync' ? 'green' : 'yellow', (labels[index] ?? '').padEnd(width))}  ${escapeControls(what)}`);
    });
    for (const group of report.groups) {
      if (!group.diff) continue;
      // The diff quotes the hosts' files: not trusted with the terminal.
      out.push(paint('dim', `--------------- ${foldNodeset(group.hosts)}`), escapeControls(group.diff.replace(/\n$/, '')));
    }
  }
  if (reports.length === 0 && silent.length === 0) out.push('no managed files on these hosts (files: under their roles or host entries, docs/files.md)');
  if (reports.length > 0) out.push(drifted === 0 ? paint('green', `all ${plural(reports.length, 'managed path')} in sync`) : paint('yellow', `${drifted} of ${plural(reports.length, 'managed path')} drifted`));
  if (silent.length > 0) out.push(paint('red', `not compared: ${foldNodeset([...silent])} (${silent.length}); see the summary`));
  return `${out.join('\n')}\n`;
}

/** A host's `--json` record: the usual one, plus each managed path's verdict, what differs and the host's checksum. */
export function driftRecord(outcome: Outcome): unknown {
  const data = outcome.data as HostDrift | undefined;
  const { stdout: _stdout, stderr: _stderr, ...record } = hostRecord(outcome) as unknown as Record<string, unknown>;
  if (!data) return record;
  return {
    ...record,
    files: data.files.map((check) => ({
      path: check.path,
      verdict: check.verdict,
      ...(check.details.length > 0 ? { details: check.details } : {}),
      ...(check.state.kind === 'file' ? { sha256: check.state.sha256, mode: check.state.mode, owner: check.state.owner } : {}),
    })),
  };
}
