/**
 * The report of a finished fan-out, in one of five forms — the gathered blocks,
 * `-L`/`-N` lines, the `--diff` view, the `--stream` footer, or JSON Lines — then the summary line, and the exit
 * code it comes to. It takes a `RunResult` from anywhere (`runOn`, `diffFleet`,
 * a test's hand-made one) and writes to the writers it is given.
 */
import type { RunResult } from '../../run/engine.js';
import { failureStatuses, type Outcome } from '../../run/outcome.js';
import { formatByHost } from '../../report/byHost.js';
import { describeBlock, formatGathered } from '../../report/display.js';
import { gather, type Block } from '../../report/gather.js';
import { hostRecord, jsonLine, summaryRecord } from '../../report/jsonLines.js';
import { painter } from '../../report/paint.js';
import { formatSummary } from '../../report/summary.js';
import { exitCodes } from '../exit.js';
import { formatOutputDiff } from './outputDiff.js';
import type { Writers } from './writers.js';

/** How to present a run. */
export interface PresentOptions {
  /** JSON Lines on stdout: one record per host, then the summary record (no summary line). */
  json?: boolean | undefined;
  /** The lines were printed as they came: show only the non-ok blocks' headers. */
  stream?: boolean | undefined;
  /** Hide the ok and changed blocks of the gathered view. */
  quiet?: boolean | undefined;
  /** Paint with ANSI colors (the caller decides, see `useColor`). */
  color: boolean;
  /** Each host's address, generalised to `HOST` in gathered messages as its name is. */
  addresses?: ReadonlyMap<string, string>;
  /**
   * Replaces the gathered view (not the summary, JSON or stream) for a command that
   * shows results its own way; given `color` so it paints as the gathered view would.
   */
  render?: ((result: RunResult, color: boolean) => string) | undefined;
  /** Replaces each host's `--json` record, for a command whose hosts answer with values (`muster call`). */
  jsonRecord?: ((outcome: Outcome) => unknown) | undefined;
  /** Hosts whose `--json` record was written as they finished (liveJson.ts): not written again. */
  jsonWritten?: ReadonlySet<string> | undefined;
  /** `lines`: `-L`/`-N`, each host's lines, hosts sorted; `diff`: `--diff`. Default `gathered`. */
  view?: 'gathered' | 'lines' | 'diff' | undefined;
  /** Lines start with `host: ` (default); false with `-N`, which also sends the footer to stderr. */
  prefix?: boolean | undefined;
}

/** What presenting came to: the exit code, and the summary line (also for the journal). */
export interface Presented {
  exitCode: number;
  summary: string;
}

/** The exit code of a finished run: 130 interrupted, 3 aborted by --max-fail, 1 some host failed, else 0. */
export function fanoutExitCode(result: RunResult): number {
  if (result.interrupted) return exitCodes.interrupted;
  if (result.aborted) return exitCodes.aborted;
  return result.outcomes.some((outcome) => failureStatuses.has(outcome.status)) ? exitCodes.failed : exitCodes.ok;
}

/**
 * Writes the report of a finished run: with `json`, one JSON Lines record per host
 * and the summary record (stdout); with `stream`, the headers of the blocks that
 * are not ok/changed (the lines themselves were printed as they came); else the
 * gathered blocks, or the command's own `render`. Then, unless `json`, the summary
 * line on stderr. Sets nothing: returns the exit code for the caller to use.
 */
export function presentRun(result: RunResult, options: PresentOptions, out: Writers): Presented {
  const exitCode = fanoutExitCode(result);
  const summary = formatSummary(result);
  if (options.json) {
    const record = options.jsonRecord ?? hostRecord;
    for (const outcome of result.outcomes) if (!options.jsonWritten?.has(outcome.host)) out.stdout.write(jsonLine(record(outcome)));
    out.stdout.write(jsonLine(summaryRecord(result, exitCode)));
    return { exitCode, summary };
  }
  const gathered = () => gather(result.outcomes, options.addresses ? { addresses: options.addresses } : {});
  // With -N stdout holds nothing but what hosts printed: the footer goes to stderr.
  const footer = options.prefix === false ? out.stderr : out.stdout;
  if (options.stream) {
    footer.write(notOkHeaders(gathered(), options.color, false));
  } else if (options.view === 'lines') {
    const lines = formatByHost(result.outcomes, { prefix: options.prefix !== false });
    out.stdout.write(lines.stdout);
    out.stderr.write(lines.stderr);
    footer.write(notOkHeaders(gathered(), options.color, true));
  } else if (options.view === 'diff') {
    out.stdout.write(formatOutputDiff(result, { color: options.color, ...(options.addresses ? { addresses: options.addresses } : {}) }));
  } else if (options.render) {
    out.stdout.write(options.render(result, options.color));
  } else {
    out.stdout.write(formatGathered(gathered(), { color: options.color, ...(options.quiet ? { hide: new Set(['ok', 'changed'] as const) } : {}) }));
  }
  out.stderr.write(`${summary}\n`);
  return { exitCode, summary };
}

/**
 * The headers of the blocks that are not ok/changed: what line views add at the end. With
 * `cuts`, also what was cut (`-L`: the lines do not say; `--stream` notes cut lines inline).
 */
function notOkHeaders(blocks: readonly Block[], color: boolean, cuts: boolean): string {
  const paint = painter(color);
  return blocks.filter((block) => (block.status !== 'ok' && block.status !== 'changed') || (cuts && block.truncated !== undefined))
    .map((block) => {
      const header = block.status !== 'ok' && block.status !== 'changed' ? `${paint('bold', block.nodeset)} (${block.count}) ${describeBlock(block)}\n` : '';
      return header + (cuts && block.truncated !== undefined ? `${paint('bold', block.nodeset)} (${block.count}) output cut: ${block.truncated}\n` : '');
    }).join('');
}
