/**
 * ANSI colors for the report, applied only when the caller says so (the CLI
 * decides with `useColor()`: a TTY, no NO_COLOR, no --no-color, not --json).
 */
import type { Status } from '../run/outcome.js';

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;

export type Paint = (style: keyof typeof codes, text: string) => string;

/** A painter that wraps text in ANSI codes when `color` is true, else returns it unchanged. */
export function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  return (style, text) => `\u001b[${codes[style]}m${text}\u001b[0m`;
}

/** The color of each status, shared by every view so a status always looks the same. */
export const statusStyle: Record<Status, keyof typeof codes> = {
  ok: 'green',
  changed: 'yellow',
  skipped: 'dim',
  failed: 'red',
  timeout: 'magenta',
  unreachable: 'red',
};
