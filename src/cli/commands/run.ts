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
import { shellJoin } from '../../core/shell.js';

interface RunOptions extends FanoutOptions {
  stdin?: string;
}

/** The `run` command. */
export function command(): Command {
  // Where the literal `--` was: words before it are selectors, words after it the command.
  let afterDash: string[] | undefined;
  const command = addOutputOptions(addFanoutOptions(newCommand('run', 'run a shell command on every selected host (FORALL)')))
    .usage('[SELECTOR...] [options] -- COMMAND...')
    .argument('[selector...]', 'before --: which hosts (a role, group, host, nodeset, KEY=VALUE, @failed, all; combine with , & !); several are a union; none with -w/--hostfile')
    .option('--stdin <file>', 'give this file\'s contents to the command\'s stdin on every host (- reads muster\'s own stdin)')
    .addHelpText('after', [
      '',
      'After --: the command line; several words are joined with spaces and the remote shell parses them, as with ssh.',
      '',
      'Examples:',
      '  muster run web -- uname -r',
      "  muster run 'web&dc=tk1' --batch 1,25% --max-fail 0 -- 'systemctl restart nginx && systemctl is-active nginx'",
      '  muster run -w 10.0.0.[5-6] -l admin -- uptime',
      '  muster run @failed --retry 2 -- uptime',
      '',
      'Exit codes: 0 all ok, 1 some host failed/unreachable/timed out (or no host matched),',
      '2 usage or inventory error, 3 aborted by --max-fail, 130 interrupted.',
    ].join('\n'));
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => {
    const dash = args.indexOf('--');
    if (dash === -1 && !args.some((arg) => arg === '-h' || arg === '--help')) throw new UsageError(missingDash(args, command));
    afterDash = dash === -1 ? [] : args.slice(dash + 1);
    return parseOptions(args);
  };
  return command.action(async (words: string[], options: RunOptions) => {
    const tail = afterDash ?? [];
    const selectors = words.slice(0, words.length - tail.length);
    const line = tail.join(' ');
    if (line.trim() === '') throw new UsageError('No command to run: give it after --, e.g. muster run web -- uptime');
    if (selectors.length === 0 && (options.hosts ?? []).length === 0 && (options.hostfile ?? []).length === 0) {
      throw new UsageError('No hosts: give a selector before -- (e.g. muster run web -- uptime), or -w HOSTS / --hostfile FILE');
    }
    const stdin = options.stdin === undefined ? undefined : await readStdinFile(options.stdin);
    const fleet = await selectFleet(selectors, options);
    await runFanout(fleet, commandJob(line, {
      ...(stdin !== undefined ? { stdin } : {}),
      ...(options.sudo ? { sudo: true } : {}),
    }), options, { command: 'run', selector: selectorText(selectors, options) });
  });
}

/** What the journal and the messages call the selection: the selectors, then the hosts -w and --hostfile named. */
function selectorText(selectors: string[], options: RunOptions): string {
  return [...selectors, ...(options.hosts ?? []).map((hosts) => `-w ${hosts}`), ...(options.hostfile ?? []).map((file) => `--hostfile ${file}`)].join(' ');
}

/**
 * The message for a run without `--`: which words would be the selector and which the
 * command is a guess muster does not make (`muster run lab01 lab02 echo hi`), so it shows
 * the line with `--` after the first word that is not an option, for the user to check.
 */
function missingDash(args: string[], command: Command): string {
  const takesValue = new Set(command.options.filter((option) => option.required || option.optional).flatMap((option) => [option.short, option.long]));
  const before: string[] = [];
  let index = 0;
  const named = args.some((arg) => arg === '-w' || arg === '--hosts' || arg === '--hostfile');
  for (; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (!arg.startsWith('-')) {
      if (!named) {
        before.push(arg);
        index += 1;
      }
      break;
    }
    before.push(arg);
    if (takesValue.has(arg) && index + 1 < args.length) before.push(args[(index += 1)] ?? '');
  }
  const rest = args.slice(index);
  const example = rest.length > 0 ? `: muster run ${shellJoin([...before, '--', ...rest])}` : ', e.g. muster run web -- uptime';
  return `put the remote command after -- (words before it are selectors, a union)${example}`;
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
