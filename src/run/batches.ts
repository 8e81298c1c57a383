/**
 * Rolling batches (`--batch 1,5,25%`): the sizes of successive batches of hosts.
 */
import { OptionError } from '../core/errors.js';

/**
 * Splits `total` hosts into successive batch sizes from a spec such as `1,5,25%`
 * (or the same as a list of numbers). Each item is a count or a percentage of
 * `total` rounded up (never below 1); the last item repeats until every host has
 * a batch, so `1,5,25%` on 100 hosts gives 1, 5, 25, 25, 25, 19. Without a spec
 * every host is in one batch. Throws `OptionError` (option `batch`) for a malformed spec.
 *
 * @example batchSizes('1,5,25%', 100) // [1, 5, 25, 25, 25, 19]
 */
export function batchSizes(spec: string | readonly number[] | undefined, total: number): number[] {
  if (total <= 0) return [];
  if (spec === undefined) return [total];
  const items = typeof spec === 'string' ? parseBatchSpec(spec) : spec.map((size) => checkSize(size, String(size)));
  if (items.length === 0) throw new OptionError('batch', (name) => `Invalid ${name('batch')} "": give sizes such as 1,5,25%`);
  const sizes: number[] = [];
  let left = total;
  let index = 0;
  while (left > 0) {
    const item = items[Math.min(index, items.length - 1)] as BatchItem | number;
    const wanted = typeof item === 'number' ? item : Math.max(1, Math.ceil((item.percent * total) / 100 - 1e-9));
    const size = Math.min(wanted, left);
    sizes.push(size);
    left -= size;
    index += 1;
  }
  return sizes;
}

interface BatchItem {
  percent: number;
}

function parseBatchSpec(spec: string): (BatchItem | number)[] {
  return spec.split(',').map((raw) => {
    const text = raw.trim();
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
    if (percent) {
      const value = Number(percent[1]);
      if (value <= 0 || value > 100) throw new OptionError('batch', (name) => `Invalid ${name('batch')} "${spec}": "${text}" must be a percentage above 0% and at most 100%`);
      return { percent: value };
    }
    if (!/^\d+$/.test(text)) throw new OptionError('batch', (name) => `Invalid ${name('batch')} "${spec}": "${text}" is neither a host count (5) nor a percentage (25%)`);
    return checkSize(Number(text), spec);
  });
}

function checkSize(size: number, spec: string): number {
  if (!Number.isInteger(size) || size < 1) throw new OptionError('batch', (name) => `Invalid ${name('batch')} "${spec}": a batch size must be a whole number of at least 1, got ${size}`);
  return size;
}
