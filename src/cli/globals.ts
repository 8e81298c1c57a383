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

/** Whether to paint output: a TTY, no NO_COLOR, no --no-color, not --json. */
export function useColor(options: Pick<GlobalOptions, 'color' | 'json'>, stream: NodeJS.WriteStream = process.stdout): boolean {
  return options.color && !options.json && !process.env['NO_COLOR'] && stream.isTTY === true;
}

/** Writes one JSON Lines record to stdout. */
export function printJsonLine(record: unknown): void {
  process.stdout.write(jsonLine(record));
}
