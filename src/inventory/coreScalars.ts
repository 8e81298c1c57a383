/**
 * The scalars of the fast path (fastYaml.ts) as the `yaml` package resolves
 * them with its default core schema: a plain scalar is null, a bool, an int
 * (decimal, `0o` octal, `0x` hex), a float (`.inf`, `.nan`, exponent, decimal)
 * or else a string, with yaml's `format` and `minFractionDigits` marks; the
 * regular expressions are yaml's own (yaml/dist/schema/core and common).
 */
import type { Scalar } from 'yaml';
import { leanResolved, leanString } from './leanNodes.js';

const hexByte = /^[0-9a-fA-F]{2}$/;
const hexUnit = /^[0-9a-fA-F]{4}$/;

/** The character a double-quoted escape (after its backslash at `at`) stands for, and how many characters it takes; undefined for the escapes left to yaml (`\N`, `\_`, `\L`, `\P`, `\U`, a line break). */
export function escape(text: string, at: number): [string, number] | undefined {
  const c = text[at];
  switch (c) {
    case '\\': case '"': case '/': return [c, 1];
    case 'n': return ['\n', 1];
    case 't': return ['\t', 1];
    case 'r': return ['\r', 1];
    case '0': return ['\0', 1];
    case 'b': return ['\b', 1];
    case 'f': return ['\f', 1];
    case 'e': return ['\x1b', 1];
    case 'a': return ['\x07', 1];
    case 'v': return ['\v', 1];
    case ' ': return [' ', 1];
    case 'x': case 'u': {
      const length = c === 'x' ? 2 : 4;
      const hex = text.slice(at + 1, at + 1 + length);
      if (!(c === 'x' ? hexByte : hexUnit).test(hex)) return undefined;
      return [String.fromCharCode(parseInt(hex, 16)), length + 1];
    }
    default: return undefined;
  }
}

/** A plain scalar resolved as the core schema resolves it (null, bool, int, float, else string), with yaml's format marks. */
export function plainNode(source: string, start: number, end: number): Scalar {
  const c = source.charCodeAt(0);
  // Most plain scalars are names: anything not starting like a number, null, bool or .inf is a string.
  const maybeSpecial = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 126 || c === 110 || c === 78 || c === 116 || c === 84 || c === 102 || c === 70;
  if (!maybeSpecial) return leanString(source, 'PLAIN', start, end);
  let value: unknown = source;
  let format: string | undefined;
  let minFractionDigits: number | undefined;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(source)) value = null;
  else if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(source)) value = c === 116 || c === 84;
  else if (/^0o[0-7]+$/.test(source)) [value, format] = [parseInt(source.substring(2), 8), 'OCT'];
  else if (/^[-+]?[0-9]+$/.test(source)) value = parseInt(source, 10);
  else if (/^0x[0-9a-fA-F]+$/.test(source)) [value, format] = [parseInt(source.substring(2), 16), 'HEX'];
  else if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source)) value = source.slice(-3).toLowerCase() === 'nan' ? NaN : source[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  else if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(source)) [value, format] = [parseFloat(source), 'EXP'];
  else if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(source)) {
    value = parseFloat(source);
    const dot = source.indexOf('.');
    if (dot !== -1 && source[source.length - 1] === '0') minFractionDigits = source.length - dot - 1;
  }
  if (value === source) return leanString(source, 'PLAIN', start, end);
  const node = leanResolved(value, source, start, end);
  if (format !== undefined) node.format = format;
  if (minFractionDigits !== undefined) node.minFractionDigits = minFractionDigits;
  return node;
}
