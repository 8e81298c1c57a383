/**
 * `muster run SEL [opts] -- CMD…` (FORALL): one shell command line on every
 * selected host, in parallel; identical results gathered.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { MusterError, UsageError } from '../../core/errors.js';
import { commandJob } from '../../ops/run.js';
import { selectFleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { addOutputOptions } from '../fanout/outputOptions.js';
import { runFanout } from '../fanout/runFanout.js';
import { newCommand } from '../globals.js';

interface RunOptions extends FanoutOptions {
  stdin?: string;
}

/** The `run` command. */
export function command(): Command {
  return addOutputOptions(addFanoutOptions(newCommand('run', 'run a shell command on every selected host (FORALL)')))
    .argument('<selector>', 'which hosts: a role, group, host, nodeset, KEY=VALUE, all; combine with , & ! (quote it)')
    .argument('<command...>', 'after --: the command line; several words are joined with spaces and the remote shell parses them, as with ssh')
    .option('--stdin <file>', 'give this file\'s contents to the command\'s stdin on every host (- reads muster\'s own stdin)')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster run web -- uname -r',
      "  muster run 'web&dc=tk1' --batch 1,25% --max-fail 0 -- 'systemctl restart nginx && systemctl is-active nginx'",
      '  muster run all --json -- df -h /',
      '',
      'Exit codes: 0 all ok, 1 some host failed/unreachable/timed out, 2 usage or inventory error,',
      '3 aborted by --max-fail, 130 interrupted.',
    ].join('\n'))
    .action(async (selector: string, words: string[], options: RunOptions) => {
      const line = words.join(' ');
      if (line.trim() === '') throw new UsageError('No command to run: give it after --, e.g. muster run web -- uptime');
      const stdin = options.stdin === undefined ? undefined : await readStdinFile(options.stdin);
      const fleet = await selectFleet([selector], options);
      await runFanout(fleet, commandJob(line, {
        ...(stdin !== undefined ? { stdin } : {}),
        ...(options.sudo ? { sudo: true } : {}),
      }), options, { command: 'run', selector });
    });
}

async function readStdinFile(path: string): Promise<Buffer> {
  try {
    if (path !== '-') return await readFile(path);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (error) {
    throw new MusterError(`Cannot read --stdin ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
