/**
 * `-L` and `-N`: the gathered output as plain lines, one host after another, hosts
 * sorted by name (`web2` before `web10`), as `clush -L` prints it: `web01: line` (or
 * the bare line with `-N`), stdout lines for stdout and stderr lines for stderr, so
 * that `muster run all -N -- cat /etc/motd | sort | uniq -c` sees only what hosts printed.
 * Control characters are made visible, as in every view for people (escapeControls.ts).
 */
import type { Outcome } from '../run/outcome.js';
import { escapeControls } from './escapeControls.js';

export interface ByHostOptions {
  /** Start each line with `host: `; default true (false is `-N`). */
  prefix?: boolean;
}

const byName = new Intl.Collator('en', { numeric: true });

/** Host names in the order `-L` prints them: by name, numbers compared as numbers. */
export function sortedByHost<T extends Pick<Outcome, 'host'>>(outcomes: readonly T[]): T[] {
  return [...outcomes].sort((a, b) => byName.compare(a.host, b.host));
}

/** The lines of one stream of every host, in `sortedByHost` order: `{ stdout, stderr }` texts to write. */
export function formatByHost(outcomes: readonly Outcome[], options: ByHostOptions = {}): { stdout: string; stderr: string } {
  const prefix = options.prefix ?? true;
  const sorted = sortedByHost(outcomes);
  const lines = (stream: 'stdout' | 'stderr'): string => sorted.map((outcome) => hostLines(outcome.host, outcome[stream], prefix)).join('');
  return { stdout: lines('stdout'), stderr: lines('stderr') };
}

/** One host's text as lines, each ended by a newline (a last line without one gets one). */
function hostLines(host: string, text: string, prefix: boolean): string {
  if (text === '') return '';
  // Escaped with a newline after the last line, so a CRLF line keeps its \r (see escapeControls).
  const escaped = escapeControls(text.endsWith('\n') ? text : `${text}\n`).slice(0, -1);
  const lead = prefix ? `${host}: ` : '';
  return escaped.split('\n').map((line) => `${lead}${line}\n`).join('');
}
