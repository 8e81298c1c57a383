/**
 * Nodesets, as in ClusterShell: `web[001-100,200]`, `rack[1-2]node[01-40]`,
 * steps `[0-10/2]`, comma lists (`a,b[1-3]`). Expanding turns a pattern into
 * names; folding turns names back into ClusterShell's text, which `nodeset`
 * and clush read back as the same names. Every list of hosts muster prints goes
 * through `foldNodeset`. The reading is ClusterShell's (nodesetScan.ts), with
 * its arithmetic (nodesetAlgebra.ts, rangeSet.ts); this file is the surface the
 * rest of muster uses. docs/nodeset.md says where muster differs, and why.
 */
import { nodesetError, scanNodeset } from './nodesetScan.js';
import { maxNodesetSize, NodeSet, nodesetOfArguments, parseNodeset } from './nodesetAlgebra.js';
import { membersAsWritten } from './rangeSet.js';

export { maxNodesetSize, NodeSet, nodesetOfArguments, parseNodeset };
export type { NameBudget, ParseOptions } from './nodesetAlgebra.js';
export type { LeadingDigits } from './nodesetScan.js';

/**
 * Expands a pattern as an inventory or a selector writes it, in the order
 * written: comma-separated parts in turn, first bracket outermost, each
 * bracket's numbers as written (`[4,1,3]` is 4, 1, 3), duplicates once. The set
 * of names is ClusterShell's; the order is the author's, because an address
 * pattern pairs with its host pattern name by name. Stricter than `parseNodeset`, so that no string names other hosts
 * than its author meant: the operators `!` `&` `^` are refused here (selectors
 * have their own), as is whitespace inside a name, and so are digits before a
 * bracket that ClusterShell and pdsh/Slurm read differently (`db4[6-11]`: 366
 * names in clush, 6 in pdsh). Throws a `UsageError` naming the offset.
 *
 * @example expandNodeset('web[01-03],db1') // ['web01', 'web02', 'web03', 'db1']
 * @example expandNodeset('r[1-2]n[1-2]') // ['r1n1', 'r1n2', 'r2n1', 'r2n2']
 */
export function expandNodeset(pattern: string): string[] {
  if (pattern.trim() === '') throw nodesetError(pattern, 0, 'empty pattern');
  // A plain host name (no bracket, operator or space; no number past 2^53) is itself: most
  // inventory keys are, and the inventory expands every one of them.
  if (/^[A-Za-z0-9._-]+$/.test(pattern) && !/\d{16}/.test(pattern)) return [pattern];
  const out = new Set<string>();
  const operands = scanNodeset(pattern, maxNodesetSize, (found) => {
    throw nodesetError(pattern, found.offset, `"${found.written}" reads as ${found.clusterShell} in ClusterShell (digits before a bracket join its numbers) but by concatenation in pdsh and Slurm; write the numbers without digits before the bracket, or one digit count per bracket`);
  });
  for (const operand of operands) {
    if (operand.op !== ',') throw nodesetError(pattern, operand.offset - 1, `the operator "${operand.op}" is not allowed here (muster nodeset takes it; a selector has ",", "&" and "!")`);
    const space = operand.texts.findIndex((text) => /\s/.test(text));
    if (space >= 0) throw nodesetError(pattern, operand.offset, 'whitespace in a name');
    const size = operand.sets.reduce((product, set) => product * set.size, 1);
    if (out.size + size > maxNodesetSize) throw nodesetError(pattern, operand.offset, `it expands to more than ${maxNodesetSize} names`);
    // In written order, first bracket outermost: an address pattern pairs with its hosts' pattern name by name.
    const axes = operand.written.map(({ text, lead }) => membersAsWritten(text).map((member) => lead + member));
    product(operand.texts, axes, 0, operand.texts[0] ?? '', out);
  }
  return [...out];
}

function product(texts: string[], axes: string[][], axis: number, prefix: string, out: Set<string>): void {
  const members = axes[axis];
  if (!members) {
    out.add(prefix);
    return;
  }
  for (const member of members) product(texts, axes, axis + 1, prefix + member + (texts[axis + 1] ?? ''), out);
}

/**
 * Counts the names of a nodeset, read as ClusterShell reads it (operators too),
 * without expanding it.
 *
 * @example countNodeset('web[001-100,200]') // 101
 */
export function countNodeset(pattern: string): number {
  return parseNodeset(pattern).size;
}

/** Whether a string uses nodeset syntax (a bracket, a comma or an operator) rather than being one plain name. */
export function isNodesetPattern(text: string): boolean {
  return /[[\],!&^]/.test(text);
}

/**
 * Folds names into ClusterShell's text for them, as `nodeset -f` folds the
 * same names: sorted by pattern, padding kept apart (`web[1-2,01-02]`), a
 * zero-padded run stopping where its length would change (`n[08-99,100]`), so
 * that clush reads the text back. Duplicates are dropped. A name that itself
 * contains nodeset syntax or spaces is kept as it is.
 *
 * @example foldNodeset(['web001', 'web002', 'web003', 'web007']) // 'web[001-003,007]'
 * @example foldNodeset(['r1n1', 'r1n2', 'r2n1', 'r2n2']) // 'r[1-2]n[1-2]'
 */
export function foldNodeset(names: Iterable<string>): string {
  const set = new NodeSet();
  const rest = set.addNames(new Set(names)).filter((name) => name !== '');
  return [set.fold(), ...rest.sort()].filter((part) => part !== '').join(',');
}

/**
 * Folds names into a nodeset whose expansion is exactly `names`, in that
 * order: consecutive runs that fold without reordering, joined by commas (a
 * top-level comma list expands in written order). `foldNodeset` sorts; this is
 * for lists whose order carries meaning, such as addresses paired with names.
 * Runs are found by galloping, so a long list costs O(n log n) folds. The
 * promise holds for plain, distinct names: a name that is itself a pattern
 * (`a[1-2]`) or a repeated one does not expand back to itself, so a caller that
 * cannot rule those out expands the result and compares (as splitPatterns does).
 *
 * @example foldNodesetInOrder(['a4', 'a3', 'a2']) // 'a4,a3,a2'
 * @example foldNodesetInOrder(['a1', 'a2', 'b7']) // 'a[1-2],b7'
 */
export function foldNodesetInOrder(names: readonly string[]): string {
  const inOrder = (from: number, to: number): boolean => {
    const chunk = names.slice(from, to);
    const back = expandNodeset(foldNodeset(chunk));
    return back.length === chunk.length && back.every((name, i) => name === chunk[i]);
  };
  const parts: string[] = [];
  for (let start = 0; start < names.length;) {
    let good = 1;
    while (start + good < names.length) {
      const next = Math.min(good * 2, names.length - start);
      if (inOrder(start, start + next)) {
        good = next;
        continue;
      }
      let bad = next;
      while (bad - good > 1) {
        const middle = (good + bad) >> 1;
        if (inOrder(start, start + middle)) good = middle;
        else bad = middle;
      }
      break;
    }
    parts.push(foldNodeset(names.slice(start, start + good)));
    start += good;
  }
  return parts.join(',');
}

/** Compares strings with embedded numbers by their value: web2 < web10. */
export function compareNatural(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (i % 2 === 1) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
