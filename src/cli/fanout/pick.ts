/** `--pick N` (clush's): a random N of the selected hosts, so a check can sample a large fleet. */
import { randomInt } from 'node:crypto';
import { UsageError } from '../../core/errors.js';

/** A uniform random `count` of `items` (all of them when there are no more), kept in their order. */
export function pickRandom<T>(items: readonly T[], count: string): T[] {
  if (!/^\d+$/.test(count.trim()) || Number(count) < 1) throw new UsageError(`Invalid --pick "${count}": give a whole number of at least 1`);
  const n = Number(count);
  if (n >= items.length) return [...items];
  // A partial Fisher-Yates shuffle of the indices: the first n are the pick.
  const indices = items.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = randomInt(i, indices.length);
    [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
  }
  return indices.slice(0, n).sort((a, b) => a - b).map((i) => items[i] as T);
}
