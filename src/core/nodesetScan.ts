/**
 * Reading nodeset text into operands, by ClusterShell 1.9's rules (its
 * ParsingEngine, step by step): operators `,` `!` `&` `^` outside brackets, left
 * to right; spaces around operands ignored, spaces inside a name kept; every
 * number in a name is an axis (`r1n[1-2]` has two); digits touching a bracket
 * join its range: after it as a shift (`n[1-2]0` is n10,n20), before it as
 * leading digits of each bound (`prod-2[98-101]` is prod-[298-2101], 1,804
 * names, where pdsh and Slurm read prod-298..prod-2101 by concatenation, 4
 * names). Parsing is kept apart from the set algebra (nodesetAlgebra.ts).
 */
import { UsageError } from './errors.js';
import { parseRangeSet, RangeSet, RangeSetSyntaxError } from './rangeSet.js';

/** The operators, as ClusterShell names them. */
export type NodesetOperator = ',' | '!' | '&' | '^';

/** One operand: the operator before it, its texts around the axes (`texts.length === sets.length + 1`), its range sets. */
export interface Operand {
  op: NodesetOperator;
  texts: string[];
  sets: RangeSet[];
  /** Per set, its range text as written (after a trailing-digit shift) and the digits before its bracket: for expansion in written order. */
  written: { text: string; lead: string }[];
  /** Where the operand starts in the text. */
  offset: number;
}

/** A place where digits before a bracket read differently in ClusterShell and by concatenation (pdsh, Slurm). */
export interface LeadingDigits {
  /** The nodeset text it is in, and where. */
  pattern: string;
  offset: number;
  /** The bracket as written, with its leading digits: `4[6-11]`. */
  written: string;
  /** ClusterShell's reading of it: `[46-411]`. */
  clusterShell: string;
}

const operatorChars = /[,!&^]/;

/** Nodesets that would make more names than this are refused (a typo like `[1-1000000000]`), over a whole command. */
export const maxNodesetSize = 1_000_000;

/** A parse failure: one line, naming the pattern and the offset, as every nodeset error does. */
export function nodesetError(pattern: string, offset: number, reason: string): UsageError {
  return new UsageError(`Invalid nodeset "${pattern}" at offset ${offset}: ${reason}`);
}

/**
 * Splits nodeset text into operands. `limit` bounds each range (ClusterShell
 * refuses ranges of a billion; muster refuses what passes its name cap before
 * making it). Leading-digit brackets are reported to `onLeadingDigits`.
 */
export function scanNodeset(pattern: string, limit: number, onLeadingDigits?: (found: LeadingDigits) => void): Operand[] {
  const lead = pattern.length - pattern.trimStart().length;
  const whole = pattern.trim();
  const at = (rest: string): number => lead + whole.length - rest.length;
  const fail = (offset: number, reason: string): never => {
    throw nodesetError(pattern, offset, reason);
  };
  const ranges = (text: string, offset: number): RangeSet => {
    try {
      return parseRangeSet(text, limit);
    } catch (error) {
      if (error instanceof RangeSetSyntaxError) return fail(offset, error.reason === 'too many names' ? `it makes more than ${maxNodesetSize} names` : `bad range ${error.message}`);
      throw error;
    }
  };
  const operands: Operand[] = [];
  let rest: string | undefined = whole;
  let nextOp: NodesetOperator = ',';
  while (rest) {
    rest = rest.trimStart();
    const op: NodesetOperator = nextOp;
    const start = at(rest);
    const texts = [''];
    const sets: RangeSet[] = [];
    const written: { text: string; lead: string }[] = [];
    const addSingle = (text: string, offset: number): void => {
      let single;
      try {
        single = scanSingle(text) ?? fail(offset, 'empty name');
      } catch (error) {
        if (error instanceof RangeSetSyntaxError) fail(offset, `bad number ${error.message}`);
        throw error;
      }
      texts[texts.length - 1] += single.texts[0] ?? '';
      for (let i = 0; i < single.sets.length; i++) {
        sets.push(single.sets[i] as RangeSet);
        written.push({ text: (single.sets[i] as RangeSet).first(), lead: '' });
        texts.push(single.texts[i + 1] ?? '');
      }
    };
    let opIndex = rest.search(operatorChars);
    let bracket = rest.indexOf('[');
    if (bracket >= 0 && (opIndex > bracket || opIndex < 0)) {
      let sfx: string = rest;
      while (bracket >= 0 && (opIndex > bracket || opIndex < 0)) {
        const open = sfx.indexOf('[');
        const sfxAt = at(sfx);
        let pfx = sfx.slice(0, open);
        const bracketAt = sfxAt + open;
        const afterOpen = sfx.slice(open + 1);
        const close = afterOpen.indexOf(']');
        if (close < 0) fail(bracketAt, 'unclosed "["');
        let rng = afterOpen.slice(0, close);
        sfx = afterOpen.slice(close + 1);
        if (pfx.includes(']')) fail(sfxAt + pfx.indexOf(']'), '"]" without "["');
        if (sfx.length > 0) {
          const end = sfx.indexOf(']');
          const begin = sfx.indexOf('[');
          if (end >= 0 && end < (begin === -1 ? end + 1 : begin)) fail(at(sfx) + end, '"]" without "["');
        }
        if (sfx.length > 0) {
          const digits = /^\d*/.exec(sfx)?.[0] ?? '';
          if (digits) {
            if (rng.includes('/')) fail(at(sfx), 'digits after a bracket with a /step');
            // `[1-2]0` shifts each bound and steps by the power of ten: 10-20/10.
            rng = rng
              .split(',')
              .map((elem: string) => {
                const shifted = elem.split("-").map((bound: string) => bound + digits).join('-');
                return shifted.includes('-') ? `${shifted}/1${'0'.repeat(digits.length)}` : shifted;
              })
              .join(',');
            sfx = sfx.slice(digits.length);
          }
        }
        const asWritten = { text: rng, lead: '' };
        if (pfx.length > 0) {
          const digits = /\d*$/.exec(pfx)?.[0] ?? '';
          asWritten.lead = digits;
          if (digits) {
            const runs = ranges(rng, bracketAt + 1).runs();
            const amended = runs.map((run) => run.split('-').map((bound) => digits + bound).join('-')).join(',');
            if (runs.some((run) => { const [a = '', b = a] = run.split('-'); return a.length !== b.length; })) {
              onLeadingDigits?.({ pattern, offset: bracketAt - digits.length, written: `${digits}[${rng}]`, clusterShell: `[${amended}]` });
            }
            rng = amended;
            pfx = pfx.slice(0, pfx.length - digits.length);
          }
          if (pfx) addSingle(pfx, at(rest));
        }
        bracket = sfx.indexOf('[');
        opIndex = sfx.search(operatorChars);
        if (sfx.startsWith('[')) fail(at(sfx), 'a bracket right after a bracket');
        sets.push(ranges(rng, bracketAt + 1));
        written.push(asWritten);
        texts.push('');
      }
      opIndex = sfx.search(operatorChars);
      if (opIndex < 0) rest = undefined;
      else {
        nextOp = sfx[opIndex] as NodesetOperator;
        const after: string = sfx.slice(opIndex + 1);
        if (!after) fail(at(sfx) + opIndex, `missing operand after "${nextOp}"`);
        sfx = sfx.slice(0, opIndex);
        rest = after;
      }
      sfx = sfx.trimEnd();
      if (sfx) addSingle(sfx, start);
    } else {
      let node: string;
      if (opIndex < 0) {
        node = rest;
        rest = undefined;
      } else {
        nextOp = rest[opIndex] as NodesetOperator;
        node = rest.slice(0, opIndex);
        const after = rest.slice(opIndex + 1);
        if (!node || !after) fail(at(rest) + opIndex, `missing operand ${node ? 'after' : 'before'} "${nextOp}"`);
        rest = after;
      }
      if (node.includes(']')) fail(start + node.indexOf(']'), '"]" without "["');
      addSingle(node.trimEnd(), start);
    }
    // ClusterShell resolves these against its group files (with none, to nothing); muster has no such files.
    if (texts[0]?.startsWith('@')) fail(start, 'node groups (@name) are ClusterShell\'s group files, which muster does not read; muster\'s groups are selectors');
    if (texts.some((text) => /[*?]/.test(text))) fail(start, 'wildcards (* and ?) match ClusterShell\'s group files, which muster does not read; a selector takes host:GLOB');
    operands.push({ op, texts, sets, written, offset: start });
  }
  return operands;
}

/**
 * One name without brackets: its texts and one range set per number in it
 * (`r1n07` → r,n,'' and 1,07); undefined for ''. Throws `RangeSetSyntaxError`
 * for a number past 2^53.
 */
export function scanSingle(name: string): { texts: string[]; sets: RangeSet[] } | undefined {
  if (name === '') return undefined;
  const texts = [''];
  const sets: RangeSet[] = [];
  for (const piece of name.split(/(\d+)/)) {
    if (piece === '') continue;
    if (/^\d/.test(piece)) {
      if (!Number.isSafeInteger(Number(piece))) throw new RangeSetSyntaxError(piece, `larger than muster's limit of ${Number.MAX_SAFE_INTEGER}`);
      sets.push(RangeSet.of(piece));
      texts.push('');
    } else texts[texts.length - 1] += piece;
  }
  return { texts, sets };
}
