/** `muster set SEL key=value…`: edit state, note and vars in the inventory YAML, comments and layout kept. */
import type { Command } from 'commander';
import { foldNodeset } from '../../core/nodeset.js';
import { editInventory, parseEdit, parseUnset, type EditChange, type EditResult } from '../../inventory/edit.js';
import type { VarValue } from '../../inventory/types.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { skippedNotice } from '../inventory.js';
import { refuseLocalCopy } from '../localCopySource.js';

interface SetOptions extends GlobalOptions {
  unset: string[];
  allStates?: boolean;
  dryRun?: boolean;
}

/**
 * The `set` command. The first argument is the selector; the rest are
 * `state=`, `note=` and `vars.KEY=` assignments. Prints what changed (folded
 * hosts, old → new) and which pattern entries were split; `--json` prints one
 * JSON object per change, then a summary.
 */
export function command(): Command {
  const cmd = newCommand('set', 'edit state, note and vars of hosts in the inventory YAML (comments and layout kept)')
    .argument('<selector>', 'the hosts to edit')
    .argument('[assignment...]', 'state=STATE, note=TEXT (empty: remove), vars.KEY=VALUE (VALUE read as YAML)')
    .option('--unset <field>', 'remove the host\'s own state, note or vars.KEY (repeatable)', (value: string, list: string[]) => [...list, value], [])
    .option('--all-states', 'include hosts whose state is in skip_states (those are left out of role/group/all selections)')
    .option('-n, --dry-run', 'show what would change; write nothing')
    .addHelpText('after', `
Values: state and note are taken as typed. A var's value is read as YAML when YAML reads it as a number,
boolean, null, quoted string or [flow, list] / {flow: map} (vars.port=8080 is a number, vars.port='"8080"'
a string); anything else is the text as typed. vars.KEY= (nothing after =) is the empty string.

A host of a pattern entry (web[001-100]) is split out of it: web[001-041,043-100] keeps the others,
web042 gets a copy of the entry's body with the edit. The edited inventory is validated and compared with
the old one before each file is replaced atomically; an invalid edit writes nothing.

Examples:
  muster set web042.example.lan state=stop note='disk replaced 2026-11-23'
  muster set 'web&dc=tk1' vars.http_port=8080
  muster set mail001 --unset note --unset vars.relay`);
  return cmd.action(async (selector: string, assignments: string[]) => {
    const options = cmd.opts<SetOptions>();
    refuseLocalCopy(options, 'set');
    const edits = [...assignments.map(parseEdit), ...options.unset.map(parseUnset)];
    const result = await editInventory({
      ...(options.inventory !== undefined ? { path: options.inventory } : {}),
      selectors: [selector],
      edits,
      // As every command reads the inventory (cli/inventory.ts): the edited one is then cached for the next.
      cache: true,
      ...(options.allStates ? { allStates: true } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
    });
    if (!options.quiet) process.stderr.write(skippedNotice(result.selection));
    if (options.json) printJson(result, options.dryRun === true);
    // -q: the edit is done and said by the exit code alone (errors still print).
    else if (!options.quiet) process.stdout.write(describe(result, options.dryRun === true));
  });
}

function describe(result: EditResult, dryRun: boolean): string {
  const lines: string[] = [];
  for (const split of result.splits) {
    lines.push(`split ${split.pattern} (${split.file}:${split.line}) into ${split.kept} and ${split.split}`);
  }
  for (const change of result.changes) {
    const same = JSON.stringify(change.old) === JSON.stringify(change.new);
    lines.push(`${hostsOf(change)}: ${change.field} ${display(change.old)} → ${display(change.new)}${same ? ' (unchanged)' : ''}`);
  }
  const files = [...result.texts.keys()];
  if (files.length === 0) lines.push('nothing to write: the inventory already says this');
  else lines.push(`${dryRun ? 'would write' : 'wrote'} ${files.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function hostsOf(change: EditChange): string {
  return `${foldNodeset(change.hosts)}${change.hosts.length > 1 ? ` (${change.hosts.length} hosts)` : ''}`;
}

/** A value on one line: plain strings as they are, anything else (and odd strings) as JSON. */
function display(value: VarValue | undefined): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function printJson(result: EditResult, dryRun: boolean): void {
  for (const split of result.splits) printJsonLine({ type: 'split', ...split });
  for (const change of result.changes) printJsonLine({ type: 'change', field: change.field, hosts: foldNodeset(change.hosts), count: change.hosts.length, old: change.old ?? null, new: change.new ?? null, unset: { old: change.old === undefined, new: change.new === undefined } });
  printJsonLine({ type: 'summary', files: [...result.texts.keys()], written: !dryRun && result.texts.size > 0 });
}
