/**
 * The man page muster.1, in roff (man macros), from the same commander
 * definitions `--help` prints and the summaries of registry.ts: every command,
 * its usage, its options, and the text its help adds after them.
 */
import type { CommandDef } from './definitions.js';

/** Text safe in roff: backslashes and hyphens escaped, a line never starting with a control character. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    // Non-ASCII as groff's \[uXXXX], so the page reads the same without preconv.
    .replace(/[^\p{ASCII}]/gu, (char) => `\\[u${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function section(def: CommandDef): string[] {
  const lines = [`.SS "muster ${roff(def.path)} ${roff(def.usage)}"`, roff(def.summary)];
  for (const option of def.options) lines.push('.TP', `.B ${roff(option.flags)}`, roff(`${option.description}${option.choices ? ` (one of: ${option.choices.join(', ')})` : ''}`));
  if (def.helpAfter !== '') lines.push('.PP', '.nf', roff(def.helpAfter), '.fi');
  for (const sub of def.subcommands) lines.push(...section(sub));
  return lines;
}

/** The whole page; `version` goes in the title line. */
export function manPage(defs: CommandDef[], version: string): string {
  return [
    `.TH MUSTER 1 "" "muster ${roff(version)}" "User Commands"`,
    '.SH NAME',
    'muster \\- one inventory in git; everything else derived from it',
    '.SH SYNOPSIS',
    '.B muster',
    '.I command',
    '[\\fIoptions\\fR] [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    'muster keeps a fleet\'s hosts, roles, states and variables in one YAML inventory and runs commands, pushes files and',
    'compares them on the selected hosts. Every command takes \\fB\\-\\-help\\fR; this page is generated from the same definitions.',
    '.SH COMMANDS',
    ...defs.flatMap((def) => ['.TP', `.B ${roff(def.path)}`, roff(def.summary)]),
    ...defs.flatMap((def) => section(def)),
    '.SH EXIT STATUS',
    '0 ok, 1 some host failed or differs, 2 usage or inventory error, 3 aborted by the failure threshold, 130 interrupted.',
    '.SH ENVIRONMENT',
    '.TP',
    '.B MUSTER_INVENTORY',
    'the inventory file or folder when \\fB\\-i\\fR is not given.',
    '.TP',
    '.B NO_COLOR',
    'no colors.',
    '.SH SEE ALSO',
    'clush(1), nodeset(1), ansible\\-inventory(1)',
    '',
  ].join('\n');
}
