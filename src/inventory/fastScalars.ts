/**
 * The scalars of the fast YAML path (fastYaml.ts): where a plain scalar ends, and a
 * single-line quoted scalar, read exactly as the `yaml` package reads them, or
 * `OutsideSubset` thrown for anything it would read otherwise.
 */
import type { Scalar } from 'yaml';
import { escape } from './coreScalars.js';
import { leanString } from './leanNodes.js';

/** Thrown inside the scanner when the text leaves the subset; caught in `parseFastYaml` only. */
export class OutsideSubset extends Error {}

/** Gives up on the fast path: the caller parses with yaml. */
export function outside(): never {
  throw new OutsideSubset();
}

// A plain scalar may not start with these (nor with `?`, `:`, or `-` and a space; handled apart).
const indicators = new Set([',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

/** `,` `[` `]` `{` `}`: what ends a plain scalar inside a flow collection. */
function isFlowIndicator(c: number): boolean {
  return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
}

/** The end of a plain scalar starting at `at` (trailing spaces not included). */
export function plainEnd(text: string, end: number, at: number, flow: boolean): number {
  const first = text[at] ?? '';
  if (at >= end || first === '\n' || indicators.has(first)) outside();
  if (first === '?' || first === ':') outside(); // `?x` and `:x` are plain in YAML 1.2, but rare enough to leave to yaml
  if (first === '-') {
    const next = text.charCodeAt(at + 1);
    if (at + 1 >= end || next === 32 || next === 10 || (flow && isFlowIndicator(next))) outside();
  }
  let p = at + 1;
  let stop = p;
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === 10) break;
    if (c === 58) {
      if (flow) break; // `key: value` in a flow map; any other colon there is left to yaml
      const next = text.charCodeAt(p + 1);
      if (p + 1 >= end || next === 32 || next === 10) break;
    } else if (c === 35 && text.charCodeAt(p - 1) === 32) break;
    else if (flow && isFlowIndicator(c)) break;
    p++;
    if (c !== 32) stop = p;
  }
  if (flow && text.charCodeAt(p) === 58 && text.charCodeAt(p + 1) !== 32) outside();
  return stop;
}

/** A single-line quoted scalar at `at` (`"` or `'`). */
export function quotedScalar(text: string, end: number, at: number): Scalar {
  if (text.charCodeAt(at) === 39) {
    let value = '';
    let p = at + 1;
    for (;;) {
      const q = text.indexOf("'", p);
      const nl = text.indexOf('\n', p);
      if (q < 0 || (nl >= 0 && nl < q)) outside();
      value += text.slice(p, q);
      if (text.charCodeAt(q + 1) !== 39) return leanString(value, 'QUOTE_SINGLE', at, q + 1);
      value += "'";
      p = q + 2;
    }
  }
  let value = '';
  let p = at + 1;
  for (;;) {
    let q = p;
    while (q < end) {
      const c = text.charCodeAt(q);
      if (c === 34 || c === 92 || c === 10) break;
      q++;
    }
    if (q >= end || text.charCodeAt(q) === 10) outside();
    value += text.slice(p, q);
    if (text.charCodeAt(q) === 34) return leanString(value, 'QUOTE_DOUBLE', at, q + 1);
    const [char, length] = escape(text, q + 1) ?? outside();
    value += char;
    p = q + 1 + length;
  }
}
