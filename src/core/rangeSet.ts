/**
 * Range sets as ClusterShell 1.9 has them: sets of zero-paddable index strings
 * (`7`, `07` and `007` are three different members), kept as integer intervals
 * per string length, never as lists of members, so a million-member set costs a
 * few numbers. Members sort by (length, value), as ClusterShell sorts them, and
 * fold back into ClusterShell's text (`1-3,08-99,100`), which `nodeset` reads.
 */

/** Why a range text does not parse; the caller adds where it is. */
export class RangeSetSyntaxError extends Error {
  override name = 'RangeSetSyntaxError';
  constructor(
    readonly part: string,
    readonly reason: string,
  ) {
    super(`"${part}": ${reason}`);
  }
}

/** Per member length, sorted disjoint non-touching intervals as flat [from, to, from, to, …]. */
type Classes = ReadonlyMap<number, readonly number[]>;

const none: readonly number[] = [];

/** An immutable set of index strings. Build it with `parseRangeSet`, `RangeSet.of` or the set operations. */
export class RangeSet {
  static readonly empty = new RangeSet(new Map());
  /** Lengths in ascending order: the order members sort in. */
  private readonly lengths: number[];
  readonly size: number;

  private constructor(private readonly classes: Classes) {
    this.lengths = [...classes.keys()].sort((a, b) => a - b);
    let size = 0;
    for (const runs of classes.values()) for (let i = 0; i < runs.length; i += 2) size += (runs[i + 1] ?? 0) - (runs[i] ?? 0) + 1;
    this.size = size;
  }

  /** One member, from its digits (`007`). */
  static of(digits: string): RangeSet {
    const value = Number(digits);
    return new RangeSet(new Map([[digits.length, [value, value]]]));
  }

  /** The set of these members (digit strings), built in one sort rather than a union per member. */
  static fromMembers(members: Iterable<string>): RangeSet {
    const byLength = new Map<number, number[]>();
    for (const digits of members) {
      const values = byLength.get(digits.length);
      if (values) values.push(Number(digits));
      else byLength.set(digits.length, [Number(digits)]);
    }
    const classes = new Map<number, number[]>();
    for (const [length, values] of byLength) {
      const sorted = Float64Array.from(values).sort();
      const runs: number[] = [];
      for (const n of sorted) {
        const last = runs.length - 1;
        if (last > 0 && (runs[last] ?? 0) >= n - 1) runs[last] = Math.max(runs[last] ?? 0, n);
        else runs.push(n, n);
      }
      classes.set(length, runs);
    }
    return new RangeSet(classes);
  }

  /** Members `from`..`to` by `step`, each written with `pad` digits at least (0: as the number is). */
  static range(from: number, to: number, step: number, pad: number): RangeSet {
    const classes = new Map<number, number[]>();
    const add = (length: number, a: number, b: number): void => {
      const runs = classes.get(length) ?? [];
      const last = runs.length - 1;
      if (last > 0 && runs[last] === a - 1) runs[last] = b;
      else runs.push(a, b);
      classes.set(length, runs);
    };
    if (step === 1) {
      // Unpadded members change length at each power of ten; padded ones keep `pad` digits.
      for (let a = from; a <= to;) {
        const length = Math.max(pad, digitCount(a));
        const b = pad > 0 ? to : Math.min(to, 10 ** length - 1);
        add(length, a, b);
        a = b + 1;
      }
    } else {
      for (let n = from; n <= to; n += step) add(Math.max(pad, digitCount(n)), n, n);
    }
    return new RangeSet(classes);
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  union(other: RangeSet): RangeSet {
    return this.combine(other, (a, b) => a || b);
  }

  intersection(other: RangeSet): RangeSet {
    return this.combine(other, (a, b) => a && b);
  }

  difference(other: RangeSet): RangeSet {
    return this.combine(other, (a, b) => a && !b);
  }

  symmetricDifference(other: RangeSet): RangeSet {
    return this.combine(other, (a, b) => a !== b);
  }

  equals(other: RangeSet): boolean {
    if (this.size !== other.size || this.lengths.length !== other.lengths.length) return false;
    for (const [length, runs] of this.classes) {
      const theirs = other.classes.get(length) ?? none;
      if (runs.length !== theirs.length || runs.some((n, i) => n !== theirs[i])) return false;
    }
    return true;
  }

  /** Whether every member of this set is in `other`. */
  isSubsetOf(other: RangeSet): boolean {
    return this.size <= other.size && this.difference(other).isEmpty;
  }

  /** Whether the two sets share a member. */
  overlaps(other: RangeSet): boolean {
    return !this.intersection(other).isEmpty;
  }

  /** The first member in sorted order (length, then value); '' when empty. */
  first(): string {
    const length = this.lengths[0];
    if (length === undefined) return '';
    return pad(this.classes.get(length)?.[0] ?? 0, length);
  }

  /** The last member in sorted order; '' when empty. */
  last(): string {
    const length = this.lengths[this.lengths.length - 1];
    if (length === undefined) return '';
    const runs = this.classes.get(length) ?? none;
    return pad(runs[runs.length - 1] ?? 0, length);
  }

  /** Every member, in sorted order. */
  *members(): Generator<string> {
    for (const length of this.lengths) {
      const runs = this.classes.get(length) ?? none;
      for (let i = 0; i < runs.length; i += 2) {
        const to = runs[i + 1] ?? 0;
        for (let n = runs[i] ?? 0; n <= to; n++) yield pad(n, length);
      }
    }
  }

  /**
   * The folded text, as ClusterShell writes it (RangeSet._slices_padding, no
   * autostep), so that `nodeset` reads it back as the same set: members in
   * sorted order, a run goes on while the next number follows and keeps the
   * run's padding: a zero-padded run keeps its length (`08-99` then `100`), an
   * unpadded one may grow a digit (`8-100`). A run restarted after a gap keeps
   * the padding state of the run before, as ClusterShell's does.
   */
  toString(): string {
    return this.runs().join(',');
  }

  /** The folded text's parts (`1-3`, `08-99`, `100`): ClusterShell's contiguous slices. */
  runs(): string[] {
    const out: string[] = [];
    const emit = (from: number, to: number, width: number): void => {
      out.push(from === to ? pad(from, width) : `${pad(from, width)}-${pad(to, width)}`);
    };
    let start: number | undefined;
    let step: number | undefined;
    let last = 0;
    let runPadded = false;
    let runLength = 0;
    // One member through ClusterShell's state machine.
    const visit = (n: number, length: number, padded: boolean): void => {
      if (start === undefined) {
        [start, step, last, runPadded, runLength] = [n, undefined, n, padded, length];
        return;
      }
      const paddingMismatch = runPadded ? length !== runLength : padded;
      const stepMismatch = !paddingMismatch && step !== undefined && step !== n - last;
      if (!paddingMismatch && !stepMismatch) {
        step = n - last;
        last = n;
        return;
      }
      const width = runPadded ? runLength : 0;
      if (step === undefined || step === 1) {
        emit(start, last, width);
        [start, runPadded, runLength] = [n, padded, length];
      } else {
        const stop = paddingMismatch ? last + 1 : last - step + 1;
        for (let j = start; j < stop; j += step) emit(j, j, width);
        if (paddingMismatch) [start, runPadded, runLength] = [n, padded, length];
        else start = last;
      }
      step = stepMismatch ? n - last : undefined;
      last = n;
    };
    for (const length of this.lengths) {
      const runs = this.classes.get(length) ?? none;
      const firstUnpadded = length > 1 ? 10 ** (length - 1) : 0;
      for (let i = 0; i < runs.length; i += 2) {
        const from = runs[i] ?? 0;
        const to = runs[i + 1] ?? 0;
        // Stretches of one padding state; within one, once the run steps by 1 and accepts the padding, it takes the rest.
        const stretches: [number, number][] = from < firstUnpadded && to >= firstUnpadded ? [[from, firstUnpadded - 1], [firstUnpadded, to]] : [[from, to]];
        for (const [a, b] of stretches) {
          const padded = a < firstUnpadded;
          for (let n = a; n <= b; n++) {
            visit(n, length, padded);
            if (step === 1 && !(runPadded ? length !== runLength : padded)) {
              last = b;
              break;
            }
          }
        }
      }
    }
    if (start !== undefined) {
      const width = runPadded ? runLength : 0;
      if (step === undefined || step === 1) emit(start, last, width);
      else for (let j = start; j <= last; j += step) emit(j, j, width);
    }
    return out;
  }

  private combine(other: RangeSet, keep: (a: boolean, b: boolean) => boolean): RangeSet {
    const classes = new Map<number, number[]>();
    for (const length of new Set([...this.lengths, ...other.lengths])) {
      const runs = mergeRuns(this.classes.get(length) ?? none, other.classes.get(length) ?? none, keep);
      if (runs.length > 0) classes.set(length, runs);
    }
    return new RangeSet(classes);
  }
}

/** A sweep over the boundaries of two interval lists, keeping the stretches where `keep` holds. */
function mergeRuns(a: readonly number[], b: readonly number[], keep: (a: boolean, b: boolean) => boolean): number[] {
  // Boundaries as half-open [from, to + 1) so that touching intervals merge.
  const out: number[] = [];
  let i = 0;
  let j = 0;
  let inA = false;
  let inB = false;
  let openAt = -1;
  for (;;) {
    const nextA = i < a.length ? (i % 2 === 0 ? (a[i] ?? 0) : (a[i] ?? 0) + 1) : Infinity;
    const nextB = j < b.length ? (j % 2 === 0 ? (b[j] ?? 0) : (b[j] ?? 0) + 1) : Infinity;
    const at = Math.min(nextA, nextB);
    if (at === Infinity) break;
    if (nextA === at) {
      inA = !inA;
      i++;
    }
    if (nextB === at) {
      inB = !inB;
      j++;
    }
    const inside = keep(inA, inB);
    if (inside && openAt < 0) openAt = at;
    else if (!inside && openAt >= 0) {
      const last = out.length - 1;
      if (last > 0 && out[last] === openAt - 1) out[last] = at - 1;
      else out.push(openAt, at - 1);
      openAt = -1;
    }
  }
  return out;
}

function digitCount(n: number): number {
  return n < 10 ? 1 : String(n).length;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Refuses what ClusterShell reads but muster does not hold: numbers past 2^53. */
function toNumber(digits: string, part: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) throw new RangeSetSyntaxError(part, `${digits} is larger than muster's limit of ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

/**
 * The members of a bracket's text in the order written (`4,1,3-2`… each part
 * ascending), duplicates once: for inventory patterns, whose addresses pair
 * with host names in step. The text must already parse (`parseRangeSet`).
 */
export function membersAsWritten(text: string): string[] {
  const out = new Set<string>();
  for (const part of text.split(',')) for (const member of parseRangeSet(part).members()) out.add(member);
  return [...out];
}

/**
 * Parses the inside of a bracket (`1-5,08-10,0-10/2`) by ClusterShell's rules:
 * spaces around numbers are ignored; a bound with a leading zero pads the range,
 * and then both bounds must have the same number of digits (`08-100` is refused,
 * as `nodeset` refuses it); a step needs a range. `count` is checked against
 * `limit` before any interval is made. Negative numbers, which ClusterShell
 * allows, are refused: host names do not have them.
 */
export function parseRangeSet(text: string, limit = Infinity): RangeSet {
  let set = RangeSet.empty;
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') throw new RangeSetSyntaxError(part, 'empty range');
    const slash = part.indexOf('/');
    const base = slash < 0 ? part : part.slice(0, slash);
    let step = 1;
    if (slash >= 0) {
      const stepText = part.slice(slash + 1).trim();
      if (!/^\d+$/.test(stepText)) throw new RangeSetSyntaxError(part, 'the step is not a whole number');
      step = toNumber(stepText, part);
      if (step < 1) throw new RangeSetSyntaxError(part, 'the step must be at least 1');
    }
    const bounds = base.split('-').map((bound) => bound.trim());
    if (bounds[0] === '' && bounds.length > 1) throw new RangeSetSyntaxError(part, 'negative numbers are not supported');
    if (bounds.length > 2) throw new RangeSetSyntaxError(part, 'a range is FROM-TO');
    if (bounds.length === 1 && step !== 1) throw new RangeSetSyntaxError(part, 'a step needs a range FROM-TO/STEP');
    const begin = bounds[0] ?? '';
    const end = bounds[1] ?? begin;
    if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) throw new RangeSetSyntaxError(part, begin === '' || end === '' ? 'a bound is missing' : 'not a number');
    const from = toNumber(begin, part);
    const to = toNumber(end, part);
    // ClusterShell: an all-zero begin pads when it has several digits; an all-zero end never does.
    const beginPad = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
    const endPad = to !== 0 && end.startsWith('0') ? end.length : 0;
    if ((beginPad > 0 || endPad > 0) && begin.length !== end.length) throw new RangeSetSyntaxError(part, 'padding length mismatch: both bounds need the same number of digits');
    if (from > to) throw new RangeSetSyntaxError(part, 'the range goes backwards');
    const count = Math.floor((to - from) / step) + 1;
    if (set.size + count > limit) throw new RangeSetSyntaxError(part, 'too many names');
    set = set.union(RangeSet.range(from, to, step, beginPad));
  }
  return set;
}
