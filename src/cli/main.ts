/**
 * The CLI boundary: picks the command, runs it, and handles every error once.
 * A MusterError prints one line and sets its exit code; anything else is a bug
 * and prints its stack. Exit codes: 0 ok, 1 some host failed/differs, 2 usage or
 * inventory error, 3 aborted by the failure threshold, 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { MusterError, UsageError } from '../core/errors.js';
import { escapeControls } from '../report/escapeControls.js';
import { cliMessage } from './optionFlags.js';
import { registry } from './registry.js';
import { exitCodeFor } from './exit.js';

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
  const [name, ...rest] = hoistGlobals(argv);
  // `muster ls | head`: the reader going away is not an error (and must not print a stack).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.stdout.destroy();
  });
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(help());
      return;
    }
    if (name === '--version' || name === '-V') {
      process.stdout.write(`${version()}\n`);
      return;
    }
    const entry = registry.find((candidate) => candidate.name === name);
    if (!entry) {
      const what = name.startsWith('-') ? `Expected a command before the option "${name}"` : `Unknown command "${name}"`;
      throw new UsageError(`${what}. Commands: ${registry.map((e) => e.name).join(', ')}`);
    }
    const module = await entry.load();
    await module.command().name(`muster ${entry.name}`).parseAsync(rest, { from: 'user' });
  } catch (error) {
    process.exitCode = report(error);
  }
}

const globalFlags = new Set(['--json', '--no-color', '-q', '--quiet', '-v', '--verbose']);

/**
 * `muster -i fleet.yaml ls`: the global options given before the command move
 * after its name, where every command parses them (each command owns its options).
 */
function hoistGlobals(argv: string[]): string[] {
  const globals: string[] = [];
  let index = 0;
  for (; index < argv.length; index += 1) {
    const word = argv[index] ?? '';
    if (globalFlags.has(word) || word.startsWith('--inventory=')) globals.push(word);
    else if ((word === '-i' || word === '--inventory') && index + 1 < argv.length) globals.push(word, argv[(index += 1)] ?? '');
    else break;
  }
  if (globals.length === 0 || index >= argv.length) return argv;
  return [argv[index] ?? '', ...globals, ...argv.slice(index + 1)];
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
