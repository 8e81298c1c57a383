/**
 * Sizes and cuts of byte strings: how a cap reads to people, and where to cut UTF-8
 * output so that a cap never splits a character.
 */
import { UsageError } from './errors.js';

/** A byte count as people read a cap: `1 MiB`, `64 KiB`, else `1000 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Bytes as MiB, one decimal unless whole. */
export function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}

/**
 * Where to cut `bytes` at most `end` bytes in so that a UTF-8 character is not split: a
 * text cut mid-character would end in an invalid sequence (and be carried as bytes, not
 * text). Looks back at most three bytes (the longest continuation), so binary data loses at
 * most that much; when the character began before `bytes`, `end` itself.
 */
export function characterBoundary(bytes: Uint8Array, end: number): number {
  if (end >= bytes.length) return bytes.length;
  let cut = end;
  // While the first byte left out continues a character, leave out its start too.
  while (cut > 0 && cut > end - 3 && isContinuation(bytes[cut])) cut -= 1;
  return isContinuation(bytes[cut]) ? end : cut;
}

function isContinuation(byte: number | undefined): boolean {
  return ((byte ?? 0) & 0xc0) === 0x80;
}

const sizeUnits: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a size as operators write one (`--max-output 10M`): a whole number of bytes, or
 * with K, M or G (also KB/KiB…, any case), always powers of 1024, as `formatBytes` prints
 * them back. Throws UsageError naming `what` for anything else, 0 included.
 *
 * @example parseSize('10M') // 10485760
 */
export function parseSize(text: string, what = 'size'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const bytes = match ? Math.floor(Number(match[1]) * (sizeUnits[(match[2] ?? '').toLowerCase()] ?? 1)) : Number.NaN;
  if (!(bytes >= 1)) throw new UsageError(`Invalid ${what} "${text}": give a size of at least 1 byte, e.g. 64K, 10M or 1G`);
  return bytes;
}
