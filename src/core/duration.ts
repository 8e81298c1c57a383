import { UsageError } from './errors.js';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `1h` or `1m30s` into milliseconds.
 * A bare number means seconds, as in `--timeout 30`.
 *
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(part)) {
    total += Number(match[1]) * (units[match[2] ?? 's'] ?? 1000);
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new UsageError(`Invalid duration "${text}": use a number of seconds or a form like 500ms, 30s, 5m, 1h30m`);
  }
  return total;
}

/** Formats milliseconds for people: `850ms`, `3.2s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  // Round to whole seconds first, so 119.6 s is 2m00s, not 1m60s.
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
}
