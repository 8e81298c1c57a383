/**
 * The response formats of the metadata server and how a request picks one:
 * a suffix on the last path segment (`hosts.sh`), else `?format=`, else the
 * `Accept` header, else JSON.
 */
import { stringify } from 'yaml';
import { RequestError } from './requestError.js';

/** The formats every route can answer in. */
export const formats = ['json', 'yaml', 'sh'] as const;
export type Format = (typeof formats)[number];

/** Content-Type per format. */
export const contentTypes: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8',
  sh: 'text/x-shellscript; charset=utf-8',
};

const suffixes: Record<string, Format> = { '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml', '.sh': 'sh' };

/** Splits a recognised format suffix off a path segment: `hosts.sh` → `['hosts', 'sh']`. */
export function splitSuffix(segment: string): [string, Format] | undefined {
  const dot = segment.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const format = suffixes[segment.slice(dot)];
  return format ? [segment.slice(0, dot), format] : undefined;
}

/** The format named by `?format=` (throws a 400 for an unknown one). */
export function formatParam(value: string): Format {
  const format = suffixes[`.${value}`];
  if (!format) throw new RequestError(400, `Unknown format "${value}" (use json, yaml or sh)`);
  return format;
}

const acceptTypes: Record<string, Format> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-yaml': 'yaml',
  'text/x-shellscript': 'sh',
  'application/x-sh': 'sh',
  'text/x-sh': 'sh',
};

/**
 * The format an `Accept` header prefers, honouring q-values; JSON when it names
 * none of ours (`*\/*`, `text/html`, nothing). Being lenient here beats a 406:
 * curl and browsers send broad headers.
 */
export function formatFromAccept(accept: string | undefined): Format {
  if (!accept) return 'json';
  let best: Format = 'json';
  let bestQ = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';');
    const format = acceptTypes[type.trim().toLowerCase()];
    if (!format) continue;
    let q = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(param);
      if (match) q = Number(match[1]);
    }
    if (q > bestQ && q > 0) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}

/** A JSON value as the server sends it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Encodes a value as JSON or YAML text (sh has its own per-route encoders). */
export function encodeData(value: Json, format: 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  return stringify(value, { lineWidth: 0 });
}
