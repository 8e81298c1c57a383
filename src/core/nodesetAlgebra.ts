/**
 * Nodesets as sets, with ClusterShell 1.9's algebra (its NodeSetBase): names
 * are grouped by pattern (`rack%sn%s`), each pattern holds a range set (one
 * axis) or an N-dimensional one, and union, difference, intersection and
 * symmetric difference work on those, never name by name. The folded text and
 * the expansion order are ClusterShell's: patterns sorted as ClusterShell sorts
 * its pattern strings, members in range-set order.
 */
import { maxNodesetSize, nodesetError, scanNodeset, scanSingle, type LeadingDigits, type NodesetOperator, type Operand } from './nodesetScan.js';
import { RangeSet, RangeSetSyntaxError } from './rangeSet.js';
import { RangeSetND } from './rangeSetND.js';

/** What one pattern holds: nothing (a name without numbers), one axis, or several. */
type Indexes = RangeSet | RangeSetND | null;

interface Entry {
  texts: string[];
  set: Indexes;
}

/** How many names a command may still add: shared by every argument of one command. */
export interface NameBudget {
  left: number;
}

/** Options of `parseNodeset`. */
export interface ParseOptions {
  /** The cap on names added by `,` and `^` operands, shared across calls when the same object is passed. */
  budget?: NameBudget;
  /** Told of each bracket whose leading digits read differently by concatenation (`db4[6-11]`). */
  onLeadingDigits?: (found: LeadingDigits) => void;
}

/** ClusterShell's truth value of a pattern's indexes: a non-empty set (no folding). */
function present(set: Indexes): boolean {
  if (set === null) return false;
  return set instanceof RangeSet ? !set.isEmpty : set.hasVectors;
}

function sizeOf(set: Indexes): number {
  return set === null ? 1 : set.size;
}

/** ClusterShell's pattern string (`%` escaped, `%s` per axis): it sorts patterns by it. */
function keyOf(texts: string[]): string {
  return texts.map((text) => text.replaceAll('%', '%%')).join('%s');
}

/** A mutable nodeset. `parseNodeset` makes one from text. */
export class NodeSet {
  private entries = new Map<string, Entry>();

  /** The number of names. */
  get size(): number {
    let size = 0;
    for (const entry of this.entries.values()) size += sizeOf(entry.set);
    return size;
  }

  /** Adds one operand's names as ClusterShell does (an N-D set is copied, which folds it). */
  add(texts: string[], set: Indexes): void {
    const key = keyOf(texts);
    const found = this.entries.get(key);
    if (!found) {
      this.entries.set(key, { texts, set: set instanceof RangeSetND ? set.copy() : set });
      return;
    }
    if (!present(found.set) || set === null) return;
    if (found.set instanceof RangeSet) found.set = found.set.union(set as RangeSet);
    else found.set?.update(set as RangeSetND);
  }

  update(other: NodeSet): void {
    for (const entry of other.entries.values()) this.add(entry.texts, entry.set);
  }

  intersectionUpdate(other: NodeSet): void {
    if (other === this) return;
    const kept = new Map<string, Entry>();
    for (const [key, theirs] of other.entries) {
      const mine = this.entries.get(key);
      if (mine && present(mine.set)) {
        let common: Indexes;
        if (mine.set instanceof RangeSet) common = mine.set.intersection(theirs.set as RangeSet);
        else {
          common = (mine.set as RangeSetND).copy();
          common.intersectionUpdate(theirs.set as RangeSetND);
        }
        if (common.size > 0) kept.set(key, { texts: mine.texts, set: common });
      } else if (!present(theirs.set) && mine) kept.set(key, { texts: mine.texts, set: null });
    }
    this.entries = kept;
  }

  differenceUpdate(other: NodeSet): void {
    const purge: string[] = [];
    for (const [key, theirs] of other.entries) {
      const mine = this.entries.get(key);
      if (mine && present(mine.set)) {
        if (mine.set instanceof RangeSet) mine.set = mine.set.difference(theirs.set as RangeSet);
        else (mine.set as RangeSetND).differenceUpdate(theirs.set as RangeSetND);
        if (sizeOf(mine.set) === 0) purge.push(key);
      } else if (mine) purge.push(key);
    }
    for (const key of purge) this.entries.delete(key);
  }

  symmetricDifferenceUpdate(other: NodeSet): void {
    const purge: string[] = [];
    for (const [key, mine] of this.entries) {
      const theirs = other.entries.get(key);
      if (theirs && present(theirs.set)) {
        if (mine.set instanceof RangeSet) mine.set = mine.set.symmetricDifference(theirs.set as RangeSet);
        else (mine.set as RangeSetND).symmetricDifferenceUpdate(theirs.set as RangeSetND);
      } else if (theirs) purge.push(key);
    }
    for (const [key, theirs] of other.entries) if (!this.entries.has(key)) this.add(theirs.texts, theirs.set);
    for (const [key, entry] of this.entries) if (entry.set !== null && entry.set.size === 0) purge.push(key);
    for (const key of purge) this.entries.delete(key);
  }

  /**
   * Adds plain names (no brackets, operators or spaces), as ClusterShell adds
   * them one by one, but fast: one-axis names are gathered per pattern and
   * added once (their union does not depend on order); names with several axes
   * go one by one, as ClusterShell folds them. Returns the names it could not
   * take as plain names (nodeset syntax, a number past 2^53), for the caller.
   */
  addNames(names: Iterable<string>): string[] {
    const oneAxis = new Map<string, { texts: string[]; members: string[] }>();
    const rest: string[] = [];
    for (const name of names) {
      let single;
      try {
        single = /[[\],!&^\s]/.test(name) ? undefined : scanSingle(name);
      } catch (error) {
        if (!(error instanceof RangeSetSyntaxError)) throw error;
        single = undefined; // a number past 2^53: parseNodeset says so
      }
      if (!single) {
        rest.push(name);
        continue;
      }
      const first = single.sets[0];
      if (single.sets.length === 1 && first) {
        const key = keyOf(single.texts);
        const found = oneAxis.get(key);
        if (found) found.members.push(first.first());
        else oneAxis.set(key, { texts: single.texts, members: [first.first()] });
      } else this.add(single.texts, single.sets.length === 0 ? null : new RangeSetND([single.sets]));
    }
    for (const { texts, members } of oneAxis.values()) this.add(texts, RangeSet.fromMembers(members));
    return rest;
  }

  /** Applies one of ClusterShell's operators with `other` on the right. */
  apply(op: NodesetOperator, other: NodeSet): void {
    if (op === ',') this.update(other);
    else if (op === '!') this.differenceUpdate(other);
    else if (op === '&') this.intersectionUpdate(other);
    else this.symmetricDifferenceUpdate(other);
  }

  /** The folded text, as `nodeset -f` prints it. */
  fold(): string {
    const parts: string[] = [];
    for (const entry of this.sorted()) {
      const { texts, set } = entry;
      if (set === null) parts.push(texts[0] ?? '');
      else if (set instanceof RangeSet) parts.push(`${texts[0] ?? ''}${set.size > 1 ? `[${set.toString()}]` : set.toString()}${texts[1] ?? ''}`);
      else {
        for (const vector of set.folded()) {
          let text = texts[0] ?? '';
          vector.forEach((axis, i) => {
            text += (axis.size > 1 ? `[${axis.toString()}]` : axis.toString()) + (texts[i + 1] ?? '');
          });
          parts.push(text);
        }
      }
    }
    return parts.join(',');
  }

  /** Every name, in `nodeset -e` order (built in one array: a generator per name costs several times more). */
  expand(): string[] {
    const out: string[] = [];
    for (const { texts, set } of this.sorted()) {
      if (set === null) out.push(texts[0] ?? '');
      else if (set instanceof RangeSet) {
        const [before = '', after = ''] = texts;
        for (const member of set.members()) out.push(before + member + after);
      } else {
        for (const vector of set.folded()) vectorNames(texts, vector.map((axis) => [...axis.members()]), out);
      }
    }
    return out;
  }

  private sorted(): Entry[] {
    return [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  }
}

/** The names of one vector, the last axis varying fastest, built without a tuple per name. */
function vectorNames(texts: string[], axes: string[][], out: string[]): void {
  const last = axes.length - 1;
  const heads: string[] = [texts[0] ?? ''];
  const index = new Array<number>(axes.length).fill(0);
  if (axes.some((members) => members.length === 0)) return;
  for (let d = 0; d < last; d++) heads.push((heads[d] ?? '') + (axes[d]?.[0] ?? '') + (texts[d + 1] ?? ''));
  const tailText = texts[last + 1] ?? '';
  const lastAxis = axes[last] ?? [];
  for (;;) {
    const head = heads[last] ?? '';
    for (const member of lastAxis) out.push(head + member + tailText);
    // Advance the odometer on the axes before the last, rebuilding the heads from the one that moved.
    let d = last - 1;
    while (d >= 0 && (index[d] = (index[d] ?? 0) + 1) === axes[d]?.length) index[d--] = 0;
    if (d < 0) return;
    for (let k = d; k < last; k++) heads[k + 1] = (heads[k] ?? '') + (axes[k]?.[index[k] ?? 0] ?? '') + (texts[k + 1] ?? '');
  }
}

/** One operand as the set ClusterShell makes of it: no numbers, one range set, or an N-D vector. */
function operandSet(operand: Operand): NodeSet {
  const set = new NodeSet();
  const { texts, sets } = operand;
  set.add(texts, sets.length === 0 ? null : sets.length === 1 ? (sets[0] as RangeSet) : new RangeSetND([sets]));
  return set;
}

/**
 * Reads nodeset text as ClusterShell reads it, operators left to right:
 * `a[1-5]!a3` is a[1-2,4-5], `a[1-5]&a[2-3]` a[2-3], `a[1-3]^a[3-4]` a[1-2,4].
 * Throws a `UsageError` naming the offset for text `nodeset` refuses too, for
 * the few things muster refuses and ClusterShell reads (negative numbers,
 * numbers past 2^53), and when the names added exceed the budget.
 */
export function parseNodeset(text: string, options: ParseOptions = {}): NodeSet {
  const budget = options.budget ?? { left: maxNodesetSize };
  const result = new NodeSet();
  for (const operand of scanNodeset(text, budget.left, options.onLeadingDigits)) {
    if (operand.op === ',' || operand.op === '^') {
      const adds = operand.sets.reduce((product, set) => product * set.size, 1);
      if (adds > budget.left) throw nodesetError(text, operand.offset, `it makes more than ${maxNodesetSize} names`);
      budget.left -= adds;
    }
    result.apply(operand.op, operandSet(operand));
  }
  return result;
}

/**
 * The nodeset of a command's arguments, as `nodeset` makes it: each argument
 * (each of its lines) read on its own, then all united. One budget for all.
 */
export function nodesetOfArguments(patterns: readonly string[], options: ParseOptions = {}): NodeSet {
  const budget = options.budget ?? { left: maxNodesetSize };
  const set = new NodeSet();
  for (const pattern of patterns) {
    const part = new NodeSet();
    for (const line of pattern.split(/\r?\n/)) part.update(parseNodeset(line, { ...options, budget }));
    set.update(part);
  }
  return set;
}

export { maxNodesetSize };
