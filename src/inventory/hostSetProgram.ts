/**
 * The machine that runs a selector's postfix program (selectorParse.ts) on host
 * sets: one byte per host of the inventory, so `,` `&` `!` are loops over a byte
 * array, whatever the atoms stand for (select.ts gives them their hosts).
 */
import type { Step } from './selectorParse.js';

/** A set of hosts on the evaluation stack: one byte per host, or (for an atom not yet combined) its host indexes. */
export type Operand = Uint8Array | readonly number[];

/**
 * Runs a postfix program on a stack of host sets. The stack holds at most one
 * pending left operand per open parenthesis (plus two), so its size is bounded
 * by `maxSelectorDepth`, however many atoms the selector has; an atom's
 * indexes are spread into a set only when needed (a 5,000-name union sets
 * 5,000 bytes instead of allocating 5,000 sets).
 */
export function runProgram<Atom>(program: Step<Atom>[], size: number, operand: (atom: Atom) => Operand): Uint8Array {
  const stack: Operand[] = [];
  // parseSelector's programs are well formed (every operator has its two operands), so the fallback is never used.
  const pop = (): Operand => stack.pop() ?? new Uint8Array(size);
  for (const step of program) {
    if (step.kind === 'atom') {
      stack.push(operand(step.atom));
    } else if (step.kind === 'not') {
      const top = owned(pop(), size);
      for (let i = 0; i < size; i++) top[i] = top[i] ? 0 : 1;
      stack.push(top);
    } else {
      const right = pop();
      const left = owned(pop(), size);
      combine(left, step.op, right, size);
      stack.push(left);
    }
  }
  return owned(pop(), size);
}

/** `left` op `right`, into `left`. */
function combine(left: Uint8Array, op: ',' | '&' | '!', right: Operand, size: number): void {
  if (op === '&') {
    const keep = owned(right, size);
    for (let i = 0; i < size; i++) if (!keep[i]) left[i] = 0;
  } else if (right instanceof Uint8Array) {
    if (op === ',') or(left, right);
    else for (let i = 0; i < size; i++) if (right[i]) left[i] = 0;
  } else {
    const value = op === ',' ? 1 : 0;
    for (const i of right) left[i] = value;
  }
}

/** A set the evaluation may change: a byte array is already the stack's own, indexes are spread into a new one. */
function owned(set: Operand, size: number): Uint8Array {
  if (set instanceof Uint8Array) return set;
  const out = new Uint8Array(size);
  for (const i of set) out[i] = 1;
  return out;
}

export function or(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < into.length; i++) if (from[i]) into[i] = 1;
}
