/**
 * `muster nodeset fold|expand|count [ARG…]`: nodeset arithmetic, as ClusterShell's
 * `nodeset -f|-e|-c`. Each argument is read as ClusterShell reads it, operators
 * too (`a[1-5]!a3`, `a[1-5]&a[2-3]`, `a^b`), and the arguments are united; with
 * none, names come from stdin (whitespace-separated, `#` comments), as `nodeset`
 * takes them. The 1,000,000-name cap counts the names the whole command adds.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { NodeSet, nodesetOfArguments, parseNodeset, maxNodesetSize, type LeadingDigits, type NameBudget } from '../../core/nodeset.js';
import { newCommand, printJsonLine, withoutGlobals, type GlobalOptions } from '../globals.js';

/** The `nodeset` command. */
export function command(): Command {
  // Arithmetic on names: no inventory is read, so no -i.
  const cmd = withoutGlobals(newCommand('nodeset', 'nodeset arithmetic: fold, expand, count (ClusterShell\'s reading and operators)'), ['inventory'])
    .argument('<action>', 'fold, expand or count')
    .argument('[nodeset...]', 'nodesets, e.g. web[001-100,200], rack[1-2]node[01-40], a[1-5]!a3; none: names from stdin')
    .option('-S, --separator <text>', 'separator between expanded names', ' ')
    .addHelpText('after', '\n--json: one object, {"nodeset": FOLDED, "count": N} (fold), {"count": N} (count), {"names": […], "count": N} (expand).\n-q: no warning about digits before a bracket.');
  return cmd.action((action: string, patterns: string[]) => {
    if (!['fold', 'expand', 'count'].includes(action)) throw new UsageError(`Unknown nodeset action "${action}": use fold, expand or count`);
    const options = cmd.opts<GlobalOptions & { separator: string }>();
    const budget: NameBudget = { left: maxNodesetSize };
    const onLeadingDigits = options.quiet ? () => undefined : warn;
    const set = patterns.length > 0
      ? nodesetOfArguments(patterns, { budget, onLeadingDigits })
      : fromStdin(budget, onLeadingDigits);
    if (options.json) printJsonLine(jsonOf(action, set));
    else if (action === 'fold') process.stdout.write(`${set.fold()}\n`);
    else if (action === 'count') process.stdout.write(`${set.size}\n`);
    else process.stdout.write(`${set.expand().join(options.separator)}\n`);
  });
}

function jsonOf(action: string, set: NodeSet): Record<string, unknown> {
  if (action === 'fold') return { nodeset: set.fold(), count: set.size };
  if (action === 'count') return { count: set.size };
  return { names: set.expand(), count: set.size };
}

/** Whitespace-separated words from stdin, `#` to the end of a line a comment; plain names take the fast path. */
function fromStdin(budget: NameBudget, onLeadingDigits: (found: LeadingDigits) => void): NodeSet {
  const words: string[] = [];
  for (const line of readFileSync(0, 'utf8').split('\n')) {
    const comment = line.indexOf('#');
    for (const word of (comment < 0 ? line : line.slice(0, comment)).split(/\s+/)) if (word) words.push(word);
  }
  if (words.length > budget.left) throw new UsageError(`Invalid nodeset input: stdin has more than ${maxNodesetSize} names`);
  const set = new NodeSet();
  // Groups and wildcards go where they are refused; the other plain names take the fast path.
  const refused = words.filter((word) => /^@|[*?]/.test(word));
  const plain = words.filter((word) => !/^@|[*?]/.test(word));
  const rest = set.addNames(plain);
  // The cap counts over the whole command: the names added here, then every pattern.
  budget.left -= plain.length - rest.length;
  for (const word of [...refused, ...rest]) set.update(parseNodeset(word, { budget, onLeadingDigits }));
  return set;
}

/** Digits before a bracket: ClusterShell's reading is the one used, but pdsh and Slurm read the same text otherwise. */
function warn(found: LeadingDigits): void {
  process.stderr.write(`muster nodeset: warning: "${found.written}" at offset ${found.offset} of "${found.pattern}" reads as ${found.clusterShell} (ClusterShell's reading, used here); pdsh and Slurm concatenate the digits instead\n`);
}
