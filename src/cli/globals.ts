/**
 * The options every command takes, and the conventions that go with them:
 * `-i` inventory, `--from-local-copy[=DIR]` (the host's copy, docs/local-copy.md),
 * `--json` (JSON Lines), `--no-color` / NO_COLOR, `-q`, `-v`.
 */
import { Command, Option } from 'commander';
import { jsonLine } from '../report/jsonLines.js';

export interface GlobalOptions {
  inventory?: string;
  /** The folder of the local copy to read instead of the inventory (`--from-local-copy` alone: /etc/muster). */
  fromLocalCopy?: string;
  json?: boolean;
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** A new command with the global options and muster's error conventions already attached. */
export function newCommand(name: string, summary: string): Command {
  return new MusterCommand(name)
    .description(summary)
    .addOption(new Option('-i, --inventory <path>', 'inventory file or folder (default: $MUSTER_INVENTORY, else muster.yaml or inventory/ here or above)'))
    .addOption(new Option('--from-local-copy [dir]', `read the host's local copy of the inventory (${localCopyFlagDefault}/inventory.json, or DIR given as --from-local-copy=DIR); used by default where no inventory is found`))
    .option('--json', 'machine-readable output (JSON Lines where there are several records)')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .option('-q, --quiet', 'print less')
    .option('-v, --verbose', 'print more')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
}

const localCopyFlag = '--from-local-copy';
const localCopyFlagDefault = '/etc/muster';

/**
 * A command whose `--from-local-copy` takes its folder only as `--from-local-copy=DIR`: an
 * optional value would otherwise swallow the next word (`muster ls --from-local-copy web` must
 * list the role web from /etc/muster, not read a folder named web). Only words before `--`.
 */
class MusterCommand extends Command {
  override parseOptions(args: string[]): ReturnType<Command['parseOptions']> {
    const end = args.indexOf('--');
    const upTo = end < 0 ? args.length : end;
    return super.parseOptions(args.map((word, at) => (at < upTo && word === localCopyFlag ? `${localCopyFlag}=${localCopyFlagDefault}` : word)));
  }
}

/** A global option a command can be without, by its attribute name (`-i` is `inventory`). */
export type GlobalOption = 'inventory' | 'json' | 'quiet' | 'verbose';

/**
 * Takes global options off a command where they would do nothing (`-i` on `lab up`,
 * which reads no inventory): gone from its help, refused as an unknown option if given.
 * (`--no-color` stays everywhere, as NO_COLOR does: an alias that always passes it must
 * not break a command. `-v` is taken off by main.ts wherever no command reads it.)
 */
export function withoutGlobals(cmd: Command, names: readonly GlobalOption[]): Command {
  // `options` is commander's public list of a command's options; parsing and help read it.
  const options = cmd.options as Option[];
  for (let index = options.length - 1; index >= 0; index -= 1) {
    const option = options[index];
    if (option && (names as readonly string[]).includes(option.attributeName())) options.splice(index, 1);
  }
  return cmd;
}

/** The commands whose `-v` prints more; every other command is offered no `-v` (it would do nothing). */
const verboseReaders = new Set(['muster ca list', 'muster lab status']);

/** Drops `-v` from command `path` (`muster lab status`) unless it reads it: for the CLI, its completion and its man page alike. */
export function withoutIdleVerbose(cmd: Command, path: string): Command {
  return verboseReaders.has(path) ? cmd : withoutGlobals(cmd, ['verbose']);
}

/** Whether to paint output: a TTY, no NO_COLOR, no --no-color, not --json. */
export function useColor(options: Pick<GlobalOptions, 'color' | 'json'>, stream: NodeJS.WriteStream = process.stdout): boolean {
  return options.color && !options.json && !process.env['NO_COLOR'] && stream.isTTY === true;
}

/** Writes one JSON Lines record to stdout. */
export function printJsonLine(record: unknown): void {
  process.stdout.write(jsonLine(record));
}
