/**
 * How `muster facts` shows what it found: the gathered table (ops/factsGather.ts) — each key,
 * each distinct value once, the hosts that have it folded — then the hosts without facts as
 * `run` shows them (`lab05 (1) unreachable: …`); or one JSON/YAML document; or JSON Lines.
 * Keys and values come from the hosts: every one goes through escapeControls, so no host can
 * drive the operator's terminal.
 */
import { stringify } from 'yaml';
import type { RunResult } from '../../run/engine.js';
import type { Outcome } from '../../run/outcome.js';
import { flattenFacts, type FlatFacts } from '../../core/factsFlat.js';
import { gatherFacts } from '../../ops/factsGather.js';
import type { FactsData } from '../../ops/factsJob.js';
import { formatGathered } from '../../report/display.js';
import { escapeControls } from '../../report/escapeControls.js';
import { gather } from '../../report/gather.js';
import { hostRecord } from '../../report/jsonLines.js';
import { painter } from '../../report/paint.js';

/** The facts in a run's outcomes, by host in order (only the hosts that gave some). */
export function factsOf(result: RunResult): Map<string, FactsData> {
  const found = new Map<string, FactsData>();
  for (const outcome of result.outcomes) {
    const data = outcome.data as FactsData | undefined;
    if (outcome.status === 'ok' && data) found.set(outcome.host, data);
  }
  return found;
}

/** Values longer than this are not padded (the hosts column would drift off screen for one long value). */
const maxValueWidth = 40;

/** The gathered table and, after it, the blocks of the hosts that gave no facts. */
export function formatFactsTable(result: RunResult, color: boolean): string {
  const paint = painter(color);
  const flat = new Map<string, FlatFacts>();
  for (const [host, data] of factsOf(result)) flat.set(host, flattenFacts(data.facts));
  const rows = gatherFacts(flat).map((row) => ({ ...row, key: escapeControls(row.key), value: escapeControls(row.value) }));
  const keyWidth = Math.max(0, ...rows.map((row) => row.key.length));
  const valueWidth = Math.min(maxValueWidth, Math.max(0, ...rows.map((row) => row.value.length)));
  const lines = rows.map((row) => `${paint('bold', row.key.padEnd(keyWidth))}  ${row.value.padEnd(valueWidth)}  ${row.nodeset} (${row.hosts.length})`);
  const others = result.outcomes.filter((outcome) => outcome.status !== 'ok');
  const rest = formatGathered(gather(others), { color });
  return `${lines.length > 0 ? `${lines.join('\n')}\n` : ''}${rest}`;
}

/** One document, host → `{ status, via, seenAt, facts }` (or `{ status, message }`), as JSON or YAML. */
export function formatFactsDocument(result: RunResult, format: 'json' | 'yaml'): string {
  const document: Record<string, unknown> = {};
  for (const outcome of result.outcomes) document[outcome.host] = documentEntry(outcome);
  return format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document);
}

function documentEntry(outcome: Outcome): Record<string, unknown> {
  const data = outcome.data as FactsData | undefined;
  if (outcome.status === 'ok' && data) return { status: 'ok', via: data.via, seenAt: data.seenAt, facts: data.facts };
  return { status: outcome.status, ...(outcome.message !== undefined ? { message: outcome.message } : {}) };
}

/** A host's `--json` record: the usual fields without output, plus where the facts came from, when seen, and the facts. */
export function factsRecord(outcome: Outcome): unknown {
  const { stdout: _stdout, stderr: _stderr, ...record } = hostRecord(outcome);
  const data = outcome.data as FactsData | undefined;
  return { ...record, ...(data ? { via: data.via, seenAt: data.seenAt, facts: data.facts } : {}) };
}
