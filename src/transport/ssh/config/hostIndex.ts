/**
 * A fleet-sized ssh_config is mostly `Host NAME` blocks with literal names, one per host (the
 * lab's files, `muster gen ssh-config`). Walking every line for every host is quadratic:
 * 10,000 hosts over a 20,000-line file is 2·10⁸ line visits per operation. So consecutive
 * blocks whose `Host` words are all literal are looked up by name instead of walked.
 *
 * This changes nothing `ssh` would see: a block whose Host line does not match applies
 * nothing, so only the matching blocks of a run matter, in file order. A block is indexed
 * only when nothing in it depends on more than its Host line: no wildcard or negated word,
 * no Match or Include, no unknown keyword (whose refusal depends on IgnoreUnknown so far).
 */
import type { ConfigLine } from './configFile.js';

/** A `Host` line and the lines under it, up to the next Host or Match. */
export interface HostBlock {
  host: ConfigLine;
  body: ConfigLine[];
}

/** What evaluation walks: a line as it is, or a run of literal Host blocks looked up by name. */
export type Step = { kind: 'line'; line: ConfigLine } | { kind: 'blocks'; blocks: HostBlock[]; byName: Map<string, number[]> };

const plans = new WeakMap<readonly ConfigLine[], Step[]>();

function literalHost(line: ConfigLine): boolean {
  return line.kind.kind === 'used' && line.kind.name === 'host' && line.args.every((arg) => !/[*?!]/.test(arg.text));
}

function simpleBody(line: ConfigLine): boolean {
  if (line.kind.kind === 'other') return true;
  return line.kind.kind === 'used' && line.kind.name !== 'match' && line.kind.name !== 'include' && line.kind.name !== 'host';
}

/** The steps of a file's lines (cached per file: a resolver reads each file once). */
export function stepsOf(lines: readonly ConfigLine[]): Step[] {
  const cached = plans.get(lines);
  if (cached !== undefined) return cached;
  const steps: Step[] = [];
  let index = 0;
  while (index < lines.length) {
    const blocks: HostBlock[] = [];
    // Gather a run of literal Host blocks with simple bodies.
    while (index < lines.length) {
      const head = lines[index] as ConfigLine;
      if (!literalHost(head)) break;
      let end = index + 1;
      while (end < lines.length && simpleBody(lines[end] as ConfigLine)) end++;
      const next = lines[end];
      // A block ends at a Host or Match line (or the end); anything else keeps it out of the index.
      if (next !== undefined && !(next.kind.kind === 'used' && (next.kind.name === 'host' || next.kind.name === 'match'))) break;
      blocks.push({ host: head, body: lines.slice(index + 1, end) });
      index = end;
    }
    if (blocks.length > 1) {
      const byName = new Map<string, number[]>();
      blocks.forEach((block, position) => {
        for (const word of new Set(block.host.args.map((arg) => arg.text))) {
          const positions = byName.get(word);
          if (positions) positions.push(position);
          else byName.set(word, [position]);
        }
      });
      steps.push({ kind: 'blocks', blocks, byName });
    } else {
      for (const block of blocks) steps.push({ kind: 'line', line: block.host }, ...block.body.map((line) => ({ kind: 'line' as const, line })));
    }
    if (blocks.length === 0 && index < lines.length) steps.push({ kind: 'line', line: lines[index++] as ConfigLine });
  }
  plans.set(lines, steps);
  return steps;
}
