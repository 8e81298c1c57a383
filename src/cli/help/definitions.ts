/**
 * Every command's definition as commander holds it (the same objects `--help`
 * prints), walked into plain data for the shell completion scripts and the man
 * page, so neither can drift from the options the CLI really takes.
 */
import type { Command, Option } from 'commander';
import { withoutIdleVerbose } from '../globals.js';

/** One option: its flags, what it says, whether it takes a value and which. */
export interface OptionDef {
  flags: string;
  short?: string;
  long?: string;
  description: string;
  takesValue: boolean;
  choices?: string[];
}

/** One command or subcommand. */
export interface CommandDef {
  /** `run`, or `lab up` for a subcommand. */
  path: string;
  name: string;
  summary: string;
  usage: string;
  /** Whether its first argument is a selector (complete role/group/host names there). */
  takesSelector: boolean;
  options: OptionDef[];
  subcommands: CommandDef[];
  /** What `--help` prints after the options (examples, formats), for the man page. */
  helpAfter: string;
}

/** A registry entry (registry.ts), by shape: this module is below the registry, which loads the commands that use it. */
export interface CommandSource {
  name: string;
  summary: string;
  load: () => Promise<{ command: () => Command }>;
}

/** The given registry's commands, loaded and walked, in its order. */
export async function commandDefinitions(entries: readonly CommandSource[]): Promise<CommandDef[]> {
  const defs: CommandDef[] = [];
  for (const entry of entries) {
    const module = await entry.load();
    defs.push(walk(module.command(), entry.name, entry.summary));
  }
  return defs;
}

function walk(cmd: Command, path: string, summary: string): CommandDef {
  // Offered exactly as the CLI offers it (main.ts applies the same rule when it runs).
  withoutIdleVerbose(cmd, `muster ${path}`);
  const options = (cmd.options as Option[]).filter((option) => !option.hidden).map((option): OptionDef => ({
    flags: option.flags,
    ...(option.short ? { short: option.short } : {}),
    ...(option.long ? { long: option.long } : {}),
    description: option.description,
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: [...option.argChoices] } : {}),
  }));
  const first = cmd.registeredArguments[0];
  return {
    path,
    name: cmd.name(),
    summary,
    usage: cmd.usage(),
    takesSelector: first !== undefined && /^selector/.test(first.name()),
    options,
    subcommands: cmd.commands.map((sub) => walk(sub, `${path} ${sub.name()}`, sub.description())),
    helpAfter: helpAfter(cmd),
  };
}

/** The text added with addHelpText('after'): the full help minus commander's own part. */
function helpAfter(cmd: Command): string {
  let text = '';
  const capture = cmd.configureOutput();
  cmd.configureOutput({ ...capture, writeOut: (chunk: string) => { text += chunk; } });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(capture);
  }
  const own = cmd.helpInformation();
  return text.startsWith(own) ? text.slice(own.length).trim() : '';
}
