/** `--list-hosts` (ansible's): the selection, folded, and nothing run — to check a selector before using it. */
import { foldNodeset } from '../../core/nodeset.js';
import type { RunResult } from '../../run/engine.js';
import type { Target } from '../../transport/types.js';

/** Prints the targets' names folded on stdout (a JSON array with `json`) and their count on stderr (unless `quiet`). */
export function listHosts(targets: readonly Target[], options: { json?: boolean | undefined; quiet?: boolean | undefined }): RunResult {
  const names = targets.map((target) => target.name);
  process.stdout.write(options.json ? `${JSON.stringify(names)}\n` : names.length > 0 ? `${foldNodeset(names)}\n` : '');
  if (!options.quiet) process.stderr.write(`${names.length} host${names.length === 1 ? '' : 's'} selected: nothing ran (--list-hosts)\n`);
  return { outcomes: [], aborted: false, interrupted: false, durationMs: 0 };
}
