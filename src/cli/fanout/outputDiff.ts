/**
 * `muster run --diff` (clush `--diff`): are the outputs the same? The hosts that ran are
 * grouped by their stdout; the largest group is the reference (first seen on a tie), and
 * every other group is shown as a unified diff against it, as `muster diff` shows files
 * (the same diff, ops/diff-unified.ts). Then the hosts that did not end ok, as the
 * gathered view shows them (their status and stderr), since a diff of stdout alone would
 * hide why a host printed nothing.
 */
import { foldNodeset } from '../../core/nodeset.js';
import { contentDiff } from '../../ops/diff-unified.js';
import type { RunResult } from '../../run/engine.js';
import type { Outcome } from '../../run/outcome.js';
import { formatGathered } from '../../report/display.js';
import { escapeControls } from '../../report/escapeControls.js';
import { gather } from '../../report/gather.js';
import { painter, type Paint } from '../../report/paint.js';

/** Hosts that printed the same stdout. */
interface OutputGroup {
  hosts: string[];
  bytes: Buffer;
  label: string;
}

/** Hosts that never ran the command have no output to compare. */
const ran = (outcome: Outcome): boolean => outcome.status !== 'unreachable' && outcome.status !== 'skipped';

/** The groups of identical stdout among the hosts that ran, largest first (first seen on a tie). */
export function outputGroups(outcomes: readonly Outcome[]): OutputGroup[] {
  const groups = new Map<string, { hosts: string[]; bytes: Buffer }>();
  for (const outcome of outcomes.filter(ran)) {
    // The exact bytes: two outputs that are not UTF-8 must not look alike once decoded.
    const bytes = outcome.stdoutBytes ?? Buffer.from(outcome.stdout);
    const key = bytes.toString('base64');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { hosts: [], bytes }));
    group.hosts.push(outcome.host);
  }
  return [...groups.values()]
    .map((group) => ({ ...group, label: `${foldNodeset(group.hosts)} (${group.hosts.length})` }))
    .sort((a, b) => b.hosts.length - a.hosts.length);
}

/**
 * The `--diff` view of a run:
 *
 * ```
 * stdout: 2 versions across 3 hosts
 *   lab[01,03] (2)  <- reference (largest group)
 *   lab02 (1)
 * ---------------
 * --- lab[01,03] (2)
 * +++ lab02 (1)
 * @@ -1,1 +1,1 @@
 * -0
 * +1
 * ```
 *
 * then the gathered blocks of hosts that are not ok. Diff text is escaped as the
 * gathered view's output is: it is the hosts' output.
 */
export function formatOutputDiff(result: RunResult, options: { color: boolean; addresses?: ReadonlyMap<string, string> }): string {
  const paint = painter(options.color);
  const groups = outputGroups(result.outcomes);
  const total = groups.reduce((sum, group) => sum + group.hosts.length, 0);
  const out: string[] = [];
  const [reference, ...others] = groups;
  if (reference && others.length === 0) out.push(`stdout: the same on ${total === 1 ? 'the one host' : `all ${total} hosts`} that ran`);
  else if (reference) {
    out.push(`stdout: ${groups.length} versions across ${total} hosts`);
    out.push(`  ${paint('bold', reference.label)}  ${paint('dim', '<- reference (largest group)')}`);
    for (const group of others) out.push(`  ${paint('bold', group.label)}`);
    for (const group of others) {
      out.push(paint('dim', '-'.repeat(15)));
      const diff = contentDiff({ content: reference.bytes, label: reference.label }, { content: group.bytes, label: group.label });
      out.push(colorDiff(escapeControls(diff).replace(/\n$/, ''), paint));
    }
  }
  const failed = formatGathered(gather(result.outcomes, options.addresses ? { addresses: options.addresses } : {}), {
    color: options.color,
    hide: new Set(['ok', 'changed'] as const),
  });
  return (out.length > 0 ? `${out.join('\n')}\n` : '') + failed;
}

function colorDiff(diff: string, paint: Paint): string {
  return diff.split('\n').map((line) => {
    if (line.startsWith('+++') || line.startsWith('---')) return paint('bold', line);
    if (line.startsWith('+')) return paint('green', line);
    if (line.startsWith('-')) return paint('red', line);
    if (line.startsWith('@@')) return paint('cyan', line);
    return line;
  }).join('\n');
}
