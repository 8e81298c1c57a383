/**
 * The grammar of selectors, apart from what their atoms mean (select.ts says
 * that): atoms joined by `,` `&` `!`, left to right as in clush, parentheses,
 * and a leading `!` meaning "everything but". A selector becomes a postfix
 * program (`web,(db&dc=tk1)` → `web db dc=tk1 & ,`) that select.ts runs on a
 * stack of host sets.
 *
 * Nothing here recurses: a 5,000-name union or a thousand leading `!` is a
 * loop, not 5,000 stack frames (issue 17: those overflowed the stack). Each
 * open parenthesis is one entry on an explicit stack, and their depth has a
 * limit, `maxSelectorDepth`, so that the evaluation's stack of host sets (at
 * most one pending left operand per level) stays small on a large fleet.
 */
import { SelectorError } from '../core/errors.js';

/** Parentheses may nest this deep in one selector (and groups naming groups, see select.ts). */
export const maxSelectorDepth = 100;

/** One step of a postfix program: push an atom, combine the top two sets, or complement the top one. */
export type Step<Atom> = { kind: 'atom'; atom: Atom } | { kind: 'op'; op: ',' | '&' | '!' } | { kind: 'not' };

/** An open parenthesis: where it is, and the operator and leading `!`s that wait for it to close. */
interface Open {
  at: number;
  op: ',' | '&' | '!' | undefined;
  negated: boolean;
}

const space = /\s/;
const atomEnd = /[,&!()\s]/;

/**
 * Parses `selector` into a postfix program; `atom` gives the meaning of each
 * atom (its text and offset) and may throw a `SelectorError` of its own.
 * Throws `SelectorError` with the offset of the offending character; deeper
 * parentheses than `maxSelectorDepth` are one such error, at the first
 * parenthesis too many.
 *
 * @example parseSelector('a,!b', (word) => word) // a b not ,
 */
export function parseSelector<Atom>(selector: string, atom: (word: string, at: number) => Atom): Step<Atom>[] {
  const fail = (offset: number, reason: string): never => {
    throw new SelectorError(selector, offset, reason);
  };
  const program: Step<Atom>[] = [];
  const opens: Open[] = [];
  // What waits for the term being read: the operator before it, and whether an odd number of `!` lead it.
  let op: Open['op'];
  let negated = false;
  // A term is done: complement it if it was led by `!` (`!x` is `all!x`; `!!x` is x), then apply the waiting operator.
  const endTerm = (): void => {
    if (negated) program.push({ kind: 'not' });
    if (op) program.push({ kind: 'op', op });
    op = undefined;
    negated = false;
  };
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < selector.length && space.test(selector.charAt(pos))) pos++;
  };
  for (;;) {
    // Expecting a term.
    skipSpace();
    const c = selector.charAt(pos);
    if (c === '(') {
      if (opens.length === maxSelectorDepth) fail(pos, `parentheses nested more than ${maxSelectorDepth} deep`);
      opens.push({ at: pos, op, negated });
      op = undefined;
      negated = false;
      pos++;
      continue;
    }
    if (c === '!') {
      negated = !negated;
      pos++;
      continue;
    }
    const start = pos;
    let brackets = 0;
    while (pos < selector.length) {
      const ch = selector.charAt(pos);
      if (ch === '[') brackets++;
      else if (ch === ']') brackets--;
      else if (brackets === 0 && atomEnd.test(ch)) break;
      pos++;
    }
    if (pos === start) fail(start, c === '' ? 'expected a role, group, host or KEY=VALUE at the end' : `expected a role, group, host or KEY=VALUE before "${c}"`);
    program.push({ kind: 'atom', atom: atom(selector.slice(start, pos), start) });
    endTerm();
    // After a term: an operator, a closing parenthesis (which ends the term it opened), or the end.
    for (;;) {
      skipSpace();
      const next = selector.charAt(pos);
      if (next === ',' || next === '&' || next === '!') {
        op = next;
        pos++;
        break;
      }
      const open = opens.at(-1);
      if (next === ')' && open) {
        opens.pop();
        ({ op, negated } = open);
        endTerm();
        pos++;
        continue;
      }
      if (open) fail(next === '' ? open.at : pos, next === '' ? 'unclosed "("' : 'expected ")" here');
      if (next === '') return program;
      fail(pos, next === ')' ? 'unmatched ")"' : `unexpected "${next}"`);
    }
  }
}
