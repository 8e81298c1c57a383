/**
 * The options every command takes, and the conventions that go with them:
 * `-i` inventory, `--json` (JSON Lines), `--no-color` / NO_COLOR, `-q`, `-v`.
 */
import { Command, Option } from 'commander';
import { jsonLine } from '../report/jsonLines.js';

export interface GlobalOptions {
  inventory?: string;
  json?: boolean;
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** A new command with the global options and muster's error conventions already attached. */
export function newCommand(name: string, summary: string): Command {
  return new Command(name)
    .description(summary)
    .addOption(new Option('-i, --inventory <path>', 'inventory file or folder (default: $MUSTER_INVENTORY, else muster.yaml or inventory/ here or above)'))
    .option('--json', 'machine-readable output (JSON Lines where there are several records)')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .option('-q, --quiet', 'print less')
    .option('-v, --verbose', 'print more')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
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

/** Whether to paint output: a TTY, no NO_COLOR, no --no-color, not --json. */
export function useColor(options: Pick<GlobalOptions, 'color' | 'json'>, stream: NodeJS.WriteStream = process.stdout): boolean {
  return options.color && !options.json && !process.env['NO_COLOR'] && stream.isTTY === true;
}

/** Writes one JSON Lines record to stdout. */
export function printJsonLine(record: unknown): void {
  process.stdout.write(jsonLine(record));
}
