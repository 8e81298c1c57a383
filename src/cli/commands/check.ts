/** `muster check`: validate the inventory and summarise it in one line. */
import { relative, dirname, sep } from 'node:path';
import type { Command } from 'commander';
import { InvalidFileError, MusterError } from '../../core/errors.js';
import { escapeControls } from '../../report/escapeControls.js';
import { exitCodes } from '../exit.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import type { Inventory } from '../../inventory/types.js';
import { prepareManaged } from '../../ops/managedSources.js';

/** The `check` command. Exit 0 when valid; 2 with every problem (file:line:col) when not. */
export function command(): Command {
  const cmd = newCommand('check', 'validate the inventory')
    .addHelpText('after', '\n--json: {"ok": true, …summary} when valid; {"ok": false, "problems": [{message, file, line, col}…]} (exit 2) when not.');
  return cmd.action(async () => {
    const options = cmd.opts<GlobalOptions>();
    let inventory: Inventory;
    try {
      inventory = await inventoryFor(options);
      // The managed files too: a missing src, two roles disagreeing, a template that does not render (docs/files.md).
      await prepareManaged(inventory, inventory.hosts);
    } catch (error) {
      if (!options.json || !(error instanceof MusterError)) throw error;
      // A CI job reading --json gets the problems as data, each with its place; stderr says how many.
      const problems = problemsOf(error);
      printJsonLine({ ok: false, problems });
      const said = error instanceof InvalidFileError ? `the inventory is not valid: ${problems.length} problem${problems.length === 1 ? '' : 's'} (in the JSON on stdout)` : error.message;
      process.stderr.write(`muster: ${escapeControls(said)}\n`);
      process.exitCode = exitCodes.usage;
      return;
    }
    const summary = summarise(inventory);
    if (options.json) printJsonLine({ ok: true, ...summary });
    else if (!options.quiet) process.stdout.write(`${summary.source}: ${describe(summary)} — ok\n`);
  });
}

/** An inventory error as JSON problems: an invalid file's every problem with its place, else its one message. */
function problemsOf(error: MusterError): Record<string, unknown>[] {
  if (!(error instanceof InvalidFileError)) return [{ message: error.message }];
  return error.problems.map((problem) => ({
    message: problem.message,
    ...(problem.at ? { file: problem.at.file, line: problem.at.line, col: problem.at.col } : {}),
    ...(problem.also ? { also: { file: problem.also.file, line: problem.also.line, col: problem.also.col } } : {}),
  }));
}

interface Summary {
  source: string;
  files: string[];
  hosts: number;
  states: Record<string, number>;
  roles: number;
  groups: number;
  checks: number;
}

function summarise(inventory: Inventory): Summary {
  const shown = (path: string): string => {
    const rel = relative(process.cwd(), path);
    return rel.startsWith('..') ? path : rel;
  };
  const files = inventory.files.map(shown);
  const states: Record<string, number> = {};
  for (const state of inventory.states) states[state] = 0;
  for (const host of inventory.hosts) states[host.state] = (states[host.state] ?? 0) + 1;
  const source = files.length === 1 ? (files[0] ?? '') : `${commonFolder(inventory.files.map(shown))}${sep} (${files.length} files)`;
  return { source, files, hosts: inventory.hosts.length, states, roles: inventory.roles.size, groups: inventory.groups.size, checks: inventory.checks.size };
}

function commonFolder(paths: string[]): string {
  let folder = dirname(paths[0] ?? '.');
  while (!paths.every((path) => path.startsWith(folder + sep)) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function describe(summary: Summary): string {
  const states = Object.entries(summary.states).filter(([, count]) => count > 0).map(([state, count]) => `${count} ${state}`);
  const parts = [`${plural(summary.hosts, 'host')}${states.length > 1 ? ` (${states.join(', ')})` : ''}`, plural(summary.roles, 'role'), plural(summary.groups, 'group')];
  if (summary.checks > 0) parts.push(plural(summary.checks, 'check'));
  return parts.join(', ');
}
