/**
 * The failure threshold (`--max-fail N|P%`): how many failed hosts a run tolerates.
 */
import { OptionError } from '../core/errors.js';

const countOrPercent = 'give a whole number of hosts (0 or more) or a percentage such as 10%';

/**
 * The largest number of failures a run of `total` hosts tolerates. `N` is a count;
 * `P%` is P percent of `total`, rounded down (2% of 120 hosts tolerates 2). The run
 * stops starting hosts once failures EXCEED this number, so `0` stops at the first
 * failure and `--max-fail 2` allows two. Without a spec there is no threshold
 * (`Infinity`). Throws `OptionError` (option `maxFail`) for a malformed spec.
 *
 * @example failureThreshold('25%', 10) // 2: the third failure stops the run
 */
export function failureThreshold(spec: string | number | undefined, total: number): number {
  if (spec === undefined) return Number.POSITIVE_INFINITY;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0) throw new OptionError('maxFail', (name) => `Invalid ${name('maxFail')} ${spec}: ${countOrPercent}`);
    return spec;
  }
  const text = spec.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value > 100) throw new OptionError('maxFail', (name) => `Invalid ${name('maxFail')} "${spec}": a percentage must be at most 100%`);
    // The epsilon keeps 10% of 30 at 3 despite binary floating point.
    return Math.floor((value * total) / 100 + 1e-9);
  }
  if (!/^\d+$/.test(text)) throw new OptionError('maxFail', (name) => `Invalid ${name('maxFail')} "${spec}": ${countOrPercent}`);
  return Number(text);
}
