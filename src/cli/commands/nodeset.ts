/** `muster nodeset fold|expand|count ARG…`: nodeset arithmetic, as ClusterShell's `nodeset`. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { expandNodeset, foldNodeset } from '../../core/nodeset.js';
import { newCommand } from '../globals.js';

/** The `nodeset` command. Every argument may itself be a nodeset; they are united. */
export function command(): Command {
  const cmd = newCommand('nodeset', 'nodeset arithmetic: fold, expand, count')
    .argument('<action>', 'fold, expand or count')
    .argument('<nodeset...>', 'names or nodesets, e.g. web[001-100,200] or rack[1-2]node[01-40]')
    .option('-S, --separator <text>', 'separator between expanded names', ' ');
  return cmd.action((action: string, patterns: string[]) => {
    const names = [...new Set(patterns.flatMap((pattern) => expandNodeset(pattern)))];
    switch (action) {
      case 'fold':
        process.stdout.write(`${foldNodeset(names)}\n`);
        break;
      case 'expand':
        process.stdout.write(`${names.join(cmd.opts<{ separator: string }>().separator)}\n`);
        break;
      case 'count':
        process.stdout.write(`${names.length}\n`);
        break;
      default:
        throw new UsageError(`Unknown nodeset action "${action}": use fold, expand or count`);
    }
  });
}
