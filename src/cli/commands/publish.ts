/**
 * `muster publish`: in this branch only `--via ssh` (publishSsh.ts); the bucket publish of
 * issue 12 replaces this file and calls `publishViaSsh` for `--via ssh`.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { addFanoutOptions } from '../fanout/options.js';
import { newCommand } from '../globals.js';
import { publishViaSsh } from './publishSsh.js';

/** The `publish` command. */
export function command(): Command {
  const cmd = addFanoutOptions(newCommand('publish', 'write the inventory\'s local copy (/etc/muster) on every selected host'))
    .argument('[selector...]', 'which hosts (default: all)')
    .addOption(new Option('--via <how>', 'how to reach the hosts').choices(['ssh']));
  return cmd.action(async (selectors: string[]) => {
    if (cmd.opts<{ via?: string }>().via !== 'ssh') throw new UsageError('muster publish: give --via ssh (the bucket publish is not in this build)');
    await publishViaSsh(cmd, selectors);
  });
}
