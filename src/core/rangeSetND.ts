/**
 * N-dimensional range sets (`rack[1-2]node[01-40]` holds one vector of two
 * range sets), with ClusterShell 1.9's own folding (RangeSetND): a union that
 * differs along one axis merges into one vector at once; otherwise the vectors
 * are expanded and merged again, pass after pass, in ClusterShell's order. The
 * same steps in the same order give the same folded text and the same expansion
 * order as `nodeset`, which is what the conformance suite checks.
 */
import { RangeSet } from './rangeSet.js';

/** One vector: a range set per axis. */
export type Vector = RangeSet[];

/** A mutable set of index tuples, as a list of vectors folded lazily (ClusterShell's `_dirty`). */
export class RangeSetND {
  private vectors: Vector[];
  private dirty = true;
  /** ClusterShell's `_multivar_hint`: once a union needed multivariate folding, unions stop trying univariate. */
  private multivariate = false;

  constructor(vectors: Vector[] = []) {
    this.vectors = vectors;
  }

  /** The folded vectors, in ClusterShell's order. */
  folded(): readonly Vector[] {
    if (this.dirty) this.fold();
    return this.vectors;
  }

  get size(): number {
    let size = 0;
    for (const vector of this.folded()) size += vector.reduce((product, set) => product * set.size, 1);
    return size;
  }

  /** Whether there are vectors at all (ClusterShell's truth value: no folding). */
  get hasVectors(): boolean {
    return this.vectors.length > 0;
  }

  copy(): RangeSetND {
    const copy = new RangeSetND(this.folded().map((vector) => [...vector]));
    copy.dirty = this.dirty;
    return copy;
  }

  /** Adds `other`'s vectors as they stand (unfolded), then tries a univariate fold unless one was needed before. */
  update(other: RangeSetND | readonly Vector[]): void {
    const vectors = other instanceof RangeSetND ? other.vectors : other;
    for (const vector of vectors) this.vectors.push([...vector]);
    this.dirty = true;
    if (!this.multivariate) this.foldUnivariate();
  }

  differenceUpdate(other: RangeSetND): void {
    const result: Vector[] = [];
    for (const vector of this.vectors) {
      let pending: Vector[] = [vector];
      let next: Vector[] = [];
      for (const cut of other.vectors) {
        while (pending.length > 0) {
          const piece = pending.shift() as Vector;
          let pieces: Vector[] = [];
          for (let axis = 0; axis < piece.length; axis++) {
            const mine = piece[axis] as RangeSet;
            const theirs = cut[axis] as RangeSet;
            if (mine.isSubsetOf(theirs)) continue;
            if (mine.overlaps(theirs)) {
              const rest = [...piece];
              rest[axis] = mine.difference(theirs);
              pieces.push(rest);
            } else {
              pieces = [piece];
              break;
            }
          }
          next.push(...pieces);
        }
        if (next.length > 0) {
          pending = next;
          next = [];
        }
      }
      result.push(...pending);
    }
    this.setVectors(result);
  }

  intersectionUpdate(other: RangeSetND): void {
    if (other === this) return;
    const result = new RangeSetND();
    for (const vector of this.vectors) {
      for (const theirs of other.vectors) {
        const common = vector.map((set, axis) => set.intersection(theirs[axis] as RangeSet));
        if (!common.some((set) => set.isEmpty)) result.update([common]);
      }
    }
    this.setVectors([...result.folded()]);
  }

  symmetricDifferenceUpdate(other: RangeSetND): void {
    const onlyTheirs = other.copy();
    onlyTheirs.differenceUpdate(this);
    this.differenceUpdate(other);
    this.update(onlyTheirs);
  }

  /** Every tuple, vector by vector, the last axis varying fastest. */
  *tuples(): Generator<string[]> {
    for (const vector of this.folded()) yield* product(vector.map((set) => [...set.members()]), 0, []);
  }

  private setVectors(vectors: Vector[]): void {
    this.vectors = vectors;
    this.dirty = true;
  }

  private fold(): void {
    if (this.vectors.length > 1) {
      if (!this.foldUnivariate()) this.foldMultivariate();
    }
    this.dirty = false;
  }

  /** Merges every vector into the first when they differ along exactly one axis (or there is one axis). */
  private foldUnivariate(): boolean {
    const first = this.vectors[0];
    if (!first) {
      this.multivariate = true;
      return false;
    }
    const dims = first.length;
    let varying = 0;
    let axis = 0;
    if (dims > 1) {
      for (let d = 0; d < dims && varying <= 1; d++) {
        const head = first[d] as RangeSet;
        if (this.vectors.some((vector) => !(vector[d] as RangeSet).equals(head))) {
          varying++;
          axis = d;
        }
      }
    }
    const univariate = dims === 1 || varying === 1;
    if (univariate) {
      let merged = first[axis] as RangeSet;
      for (const vector of this.vectors.slice(1)) merged = merged.union(vector[axis] as RangeSet);
      first[axis] = merged;
      this.vectors = [first];
      this.dirty = false;
    }
    this.multivariate = !univariate;
    return univariate;
  }

  private foldMultivariate(): void {
    // Phase 1: one vector per distinct tuple.
    const seen = new Set<string>();
    const singles: Vector[] = [];
    for (const vector of this.vectors) {
      for (const tuple of product(vector.map((set) => [...set.members()]), 0, [])) {
        const key = tuple.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        singles.push(tuple.map((member) => RangeSet.of(member)));
      }
    }
    this.vectors = singles;
    // Phase 2: merge pairs that differ along at most one axis; easy passes first, then full ones.
    let full = false;
    let changed = true;
    while (changed) {
      changed = false;
      sortVectors(this.vectors);
      const list = this.vectors;
      let index1 = 0;
      while (index1 + 1 < list.length) {
        let item1 = list[index1] as Vector;
        let index2 = index1 + 1;
        index1++;
        while (index2 < list.length) {
          const item2 = list[index2] as Vector;
          index2++;
          const merged = mergeVectors(item1, item2);
          if (merged) {
            changed = true;
            item1 = list[index1 - 1] = merged;
            index2--;
            list.splice(index2, 1);
          } else if (!full) break;
        }
      }
      if (!changed && !full) changed = full = true;
    }
  }
}

/** Two vectors as one, when they differ along at most one axis in a way ClusterShell merges; else undefined. */
function mergeVectors(a: Vector, b: Vector): Vector | undefined {
  const merged: Vector = [];
  let differing = 0;
  for (let axis = 0; axis < a.length; axis++) {
    const x = a[axis] as RangeSet;
    const y = b[axis] as RangeSet;
    if (x.equals(y)) {
      merged.push(x);
      continue;
    }
    // A second differing axis never merges: no need to know how it differs.
    if (++differing > 1) return undefined;
    // One intersection answers disjoint / subset / neither (a fold calls this for every pair of vectors).
    const common = x.intersection(y);
    if (common.isEmpty) merged.push(x.union(y));
    else if (common.size === y.size) merged.push(x);
    else if (common.size === x.size) merged.push(y);
    else return undefined;
  }
  return merged;
}

/** ClusterShell's vector order: largest first, then per axis larger sets, then first and last members. */
function sortVectors(vectors: Vector[]): void {
  const keys = new Map<Vector, { size: number; axes: [number, string, string][] }>();
  for (const vector of vectors) {
    keys.set(vector, {
      size: vector.reduce((product, set) => product * set.size, 1),
      axes: vector.map((set) => [set.size, set.first(), set.last()]),
    });
  }
  vectors.sort((p, q) => {
    const a = keys.get(p);
    const b = keys.get(q);
    if (!a || !b) return 0;
    if (a.size !== b.size) return b.size - a.size;
    for (let i = 0; i < a.axes.length; i++) {
      const [sizeA, firstA, lastA] = a.axes[i] as [number, string, string];
      const [sizeB, firstB, lastB] = b.axes[i] as [number, string, string];
      if (sizeA !== sizeB) return sizeB - sizeA;
      if (firstA !== firstB) return firstA < firstB ? -1 : 1;
      if (lastA !== lastB) return lastA < lastB ? -1 : 1;
    }
    return 0;
  });
}

function* product(axes: string[][], index: number, prefix: string[]): Generator<string[]> {
  if (index === axes.length) {
    yield prefix;
    return;
  }
  for (const member of axes[index] ?? []) yield* product(axes, index + 1, [...prefix, member]);
}
