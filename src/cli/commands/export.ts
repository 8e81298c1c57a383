/** `muster export [SEL…] --format sh|json|yaml|env|ansible`: the inventory as bindings for other tools. */
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { exportAs, exportFormats, isExportFormat, prefixOf } from '../../bindings/index.js';
import { writeFileAtomic } from '../../core/writeFileAtomic.js';
import { newCommand, type GlobalOptions } from '../globals.js';
import { inventoryFor, selectFor } from '../inventory.js';

interface ExportOptions extends GlobalOptions {
  format?: string;
  prefix?: string;
  output?: string;
  allStates?: boolean;
}

/**
 * The `export` command. No selector exports every host (those in skip_states
 * left out, said on stderr). `--json` is `--format json`. `-o FILE` replaces
 * FILE atomically, so a reader `source`ing it never sees half a file.
 */
export function command(): Command {
  const cmd = newCommand('export', 'the inventory as sh variables, env, json, yaml or Ansible dynamic-inventory JSON')
    .argument('[selector...]', 'selectors (union); default: all')
    .addOption(new Option('-f, --format <format>', `output format (default: sh; --json means json)`).choices([...exportFormats]))
    .option('--prefix <prefix>', 'variable name prefix for sh and env; empty for none', 'MUSTER')
    .option('-o, --output <file>', 'write to FILE (atomically; created with mode 0644) instead of stdout')
    .option('--all-states', 'include hosts whose state is in skip_states')
    .addHelpText('after', `
Formats:
  sh       MUSTER_HOSTS, MUSTER_ROLE_<role>[_ADDRS], MUSTER_GROUP_<group>[_ADDRS], MUSTER_STATE_<state>,
           MUSTER_HOST_<host>_{NAME,ADDRESS,STATE,ROLES,USER,PORT,NOTE,VAR_<key>}; safe to source or eval
  env      one host's MUSTER_{NAME,ADDRESS,…,VAR_<key>}=value lines; the selection must be exactly one host
  json     { hosts: {NAME: {address, state, roles, vars…}}, roles: {…}, groups: {…}, states: {…} }
  yaml     the same as YAML
  ansible  Ansible dynamic-inventory JSON (_meta.hostvars), for an inventory script
<name> is the name with every character other than [A-Za-z0-9_] turned into "_" (and "_" before a leading digit).

Examples:
  muster export > /etc/muster.sh && . /etc/muster.sh && echo "$MUSTER_ROLE_web"
  muster export web001 --format env
  muster export --format ansible      # in an executable inventory script for ansible -i`);
  return cmd.action(async (selectors: string[]) => {
    const options = cmd.opts<ExportOptions>();
    if (options.json && options.format !== undefined && options.format !== 'json') throw new UsageError(`--json conflicts with --format ${options.format}`);
    const format = options.format ?? (options.json ? 'json' : 'sh');
    if (!isExportFormat(format)) throw new UsageError(`Unknown format "${format}"`);
    prefixOf({ prefix: options.prefix ?? 'MUSTER' });
    const inventory = await inventoryFor(options);
    // As an inventory script, anything on stderr is shown by ansible as [ERROR]: no skip-state notice there.
    const { hosts } = selectFor(inventory, selectors, format === 'ansible' ? { ...options, quiet: true } : options);
    const text = exportAs(format, inventory, hosts, { prefix: options.prefix ?? 'MUSTER' });
    if (options.output === undefined) {
      process.stdout.write(text);
      return;
    }
    await writeFileAtomic(options.output, text, { createMode: 0o644, followSymlinks: false });
  });
}
