/**
 * The CLI boundary: picks the command, runs it, and handles every error once.
 * A MusterError prints one line and sets its exit code; anything else is a bug
 * and prints its stack. Exit codes: 0 ok, 1 some host failed/differs, 2 usage or
 * inventory error, 3 aborted by the failure threshold, 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { MusterError, UsageError } from '../core/errors.js';
import { escapeControls } from '../report/escapeControls.js';
import { cliMessage } from './optionFlags.js';
import { registry } from './registry.js';
import { exitCodeFor, exitCodes } from './exit.js';
import { withoutIdleVerbose } from './globals.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...registry.map((entry) => entry.name.length));
  const lines = registry.map((entry) => `  ${entry.name.padEnd(width)}  ${entry.summary}`);
  return [
    'Usage: muster <command> [options]',
    '',
    'One inventory in git; everything else derived from it.',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `muster <command> --help` for a command\'s options.',
    '',
  ].join('\n');
}

/** Runs the muster CLI with `argv` (without `node` and the script). Sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  const { globals, name, rest } = splitGlobals(argv);
  // `muster ls | head`: the reader going away is not an error (and must not print a stack).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.stdout.destroy();
  });
  try {
    if (name === undefined) {
      // No command is a usage error: the help goes where errors go, and the exit code says so.
      process.stderr.write(help());
      process.exitCode = exitCodes.usage;
      return;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(help());
      return;
    }
    if (name === '--version' || name === '-V') {
      process.stdout.write(`${version()}\n`);
      return;
    }
    const entry = registry.find((candidate) => candidate.name === name);
    if (!entry) {
      if (name.startsWith('-')) throw new UsageError(`Expected a command before the option "${name}". Commands: ${registry.map((e) => e.name).join(', ')}`);
      const like = suggestCommand(name);
      throw new UsageError(`Unknown command "${name}"${like ? `; did you mean ${like}?` : `. Commands: ${registry.map((e) => e.name).join(', ')}`}`);
    }
    const module = await entry.load();
    const cmd = conventions(module.command().name(`muster ${entry.name}`));
    const args = withGlobals(cmd, globals, rest);
    requireSelector(cmd, args);
    await cmd.parseAsync(args, { from: 'user' });
  } catch (error) {
    process.exitCode = report(error);
  }
}

const globalFlags = new Set(['--json', '--no-color', '-q', '--quiet', '-v', '--verbose']);

/**
 * `muster -i fleet.yaml ls`: the global options given before the command, the
 * command's name, and the words after it. They are put back after the command
 * (and its subcommand: `muster --json lab up`), where every command parses them.
 */
function splitGlobals(argv: string[]): { globals: string[]; name: string | undefined; rest: string[] } {
  const globals: string[] = [];
  let index = 0;
  for (; index < argv.length; index += 1) {
    const word = argv[index] ?? '';
    if (globalFlags.has(word) || word.startsWith('--inventory=')) globals.push(word);
    else if ((word === '-i' || word === '--inventory') && index + 1 < argv.length) globals.push(word, argv[(index += 1)] ?? '');
    else break;
  }
  if (index >= argv.length) return { globals: [], name: argv[0], rest: argv.slice(1) };
  return { globals, name: argv[index], rest: argv.slice(index + 1) };
}

/** The subcommands named at the start of `args` (`lab up`): the command that will run is the last. */
function commandChain(cmd: Command, args: string[]): Command[] {
  const chain = [cmd];
  for (const word of args) {
    const sub = chain.at(-1)?.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (!sub) break;
    chain.push(sub);
  }
  return chain;
}

/**
 * The global options given before the command, or between it and its subcommand
 * (`muster lab --json status`), placed after the subcommand that runs: a parent
 * command's would do nothing.
 */
function withGlobals(cmd: Command, globals: string[], rest: string[]): string[] {
  if (cmd.commands.length === 0) return [...globals, ...rest];
  const moved = [...globals];
  const names: string[] = [];
  let current = cmd;
  for (let index = 0; index < rest.length; index += 1) {
    const word = rest[index] ?? '';
    const sub = current.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (sub) {
      names.push(word);
      current = sub;
    } else if (globalFlags.has(word) || word.startsWith('--inventory=')) {
      moved.push(word);
    } else if ((word === '-i' || word === '--inventory') && index + 1 < rest.length) {
      moved.push(word, rest[(index += 1)] ?? '');
    } else {
      return [...names, ...moved, ...rest.slice(index)];
    }
  }
  return [...names, ...moved];
}

/**
 * What every command gets from the boundary: commander's own errors said as
 * muster's are (`muster: …`, a suggestion on the same line), and `-v` only where
 * it does something. Applied to the command and each of its subcommands.
 */
function conventions(cmd: Command, path = cmd.name()): Command {
  cmd.configureOutput({ outputError: (text, write) => write(musterLine(text)) });
  withoutIdleVerbose(cmd, path);
  for (const sub of cmd.commands) conventions(sub, `${path} ${sub.name()}`);
  return cmd;
}

/** `error: unknown command 'stauts'\n(Did you mean status?)` → `muster: unknown command 'stauts'; did you mean status?`. */
export function musterLine(text: string): string {
  return `${text.replace(/^error: /, 'muster: ').replace(/\n\(Did you mean (.*)\?\)\s*$/, '; did you mean $1?').trimEnd()}\n`;
}

/** The command closest to a mistyped one, by commander's own suggestion rule; undefined when none is close. */
function suggestCommand(name: string): string | undefined {
  const probe = new Command('muster').exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  for (const entry of registry) probe.command(entry.name);
  try {
    probe.parse([name], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return /Did you mean (.*)\?/.exec(error.message)?.[1];
    throw error;
  }
  return undefined;
}

/**
 * `muster run -- hostname`: commander would take `hostname` for the selector and
 * then miss the command. When the command that runs takes a selector first and
 * nothing but options comes before `--`, say that the selector is missing.
 */
function requireSelector(cmd: Command, args: string[]): void {
  const chain = commandChain(cmd, args);
  const leaf = chain.at(-1) ?? cmd;
  const first = leaf.registeredArguments[0];
  const end = args.indexOf('--');
  if (!first?.required || !/^selector/.test(first.name()) || end < 0) return;
  for (let index = chain.length - 1; index < end; index += 1) {
    const word = args[index] ?? '';
    if (!word.startsWith('-') || word === '-') return;
    const option = word.includes('=') || /^-[^-]./.test(word) ? undefined : leaf.options.find((candidate) => candidate.short === word || candidate.long === word);
    if (option && (option.required || option.optional)) index += 1;
  }
  throw new UsageError(`The selector is missing: ${leaf.name()} SELECTOR … -- COMMAND (which hosts, e.g. all, web or 'lab[01-03]')`);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (and usage for usage errors).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof MusterError) {
    // A message may quote a file or an argument: its control characters are shown, never sent to the terminal.
    process.stderr.write(`muster: ${escapeControls(cliMessage(error))}\n`);
    if (error instanceof UsageError) process.stderr.write('(add --help for usage)\n');
    return exitCodeFor(error);
  }
  process.stderr.write(`muster: internal error (a bug; please report it with this trace):\n${escapeControls(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
  return 70;
}
