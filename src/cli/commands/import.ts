/**
 * `muster import ansible|clush|hosts SOURCE [-o FILE] [--force]`: a muster.yaml
 * from the host list a fleet already has. The text is parsed back with the
 * inventory's own parser before anything is written, so what is written loads;
 * what could not be mapped is said on stderr, one line each (docs/import.md).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command, Option } from 'commander';
import { InvalidFileError, MusterError, UsageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/writeFileAtomic.js';
import { parseInventory } from '../../inventory/index.js';
import { newCommand, withoutGlobals, type GlobalOptions } from '../globals.js';
import { readAnsible } from '../import/ansibleRead.js';
import { mapAnsible } from '../import/ansibleMap.js';
import { readClush } from '../import/clushRead.js';
import { readHostsFile } from '../import/hostsRead.js';
import type { ImportedFleet } from '../import/model.js';
import { fleetYaml } from '../import/writeYaml.js';

interface ImportOptions extends GlobalOptions {
  output?: string;
  force?: boolean;
}

/** The `import` command and its three sources. */
export function command(): Command {
  return withoutLocalCopy(withoutGlobals(newCommand('import', 'a muster.yaml from an Ansible inventory, ClusterShell groups or /etc/hosts'), ['inventory', 'json', 'quiet'])
    .addCommand(source('ansible', '<source>', 'an Ansible inventory (INI, YAML, a folder or a dynamic-inventory script), read by ansible-inventory --list', async (path) => mapAnsible(await readAnsible(path), path)))
    .addCommand(source('clush', '<file>', 'ClusterShell groups: a groups.d YAML file, the flat "group: nodeset" file, or groups.conf', (path) => Promise.resolve(readClush(path))))
    .addCommand(source('hosts', '[file]', 'a hosts file (default /etc/hosts): address → name, aliases in the note', (path) => Promise.resolve(readHostsFile(path ?? '/etc/hosts')))));
}

/** Import reads no inventory, so no --from-local-copy either (withoutGlobals has no name for it). */
function withoutLocalCopy(cmd: Command): Command {
  const options = cmd.options as Option[];
  const at = options.findIndex((option) => option.long === '--from-local-copy');
  if (at >= 0) options.splice(at, 1);
  return cmd;
}

function source(name: string, argument: string, summary: string, read: (path: string) => Promise<ImportedFleet>): Command {
  const cmd = withoutLocalCopy(withoutGlobals(newCommand(name, summary), ['inventory', 'json']))
    .argument(argument, name === 'ansible' ? 'what ansible -i takes' : 'the file to read')
    .option('-o, --output <file>', 'write FILE (atomically) instead of printing the YAML')
    .option('--force', 'replace an existing --output file')
    .addHelpText('after', '\n-q: do not list what could not be mapped. See docs/import.md for how names, groups and vars map.');
  return cmd.action(async (path: string | undefined) => {
    const options = cmd.opts<ImportOptions>();
    // Refused before any work: a typo in -o must not cost an ansible-inventory run, nor replace a file.
    if (options.output !== undefined && existsSync(options.output) && !options.force) throw new UsageError(`${options.output} exists; add --force to replace it`);
    const fleet = await read(path ?? '/etc/hosts');
    const text = fleetYaml(fleet);
    const file = options.output === undefined ? 'muster.yaml' : basename(options.output);
    let hosts: number;
    try {
      hosts = parseInventory([{ path: file, text }]).hosts.length;
    } catch (error) {
      if (error instanceof InvalidFileError) throw new MusterError(`The imported inventory would not load, so nothing is written: ${error.message.replace(/^Cannot load inventory: /, '')}`);
      throw error;
    }
    if (!options.quiet) for (const line of fleet.unmapped) process.stderr.write(`muster import: not mapped: ${line}\n`);
    if (options.output === undefined) {
      process.stdout.write(text);
      return;
    }
    await writeFileAtomic(options.output, text, { createMode: 0o644, followSymlinks: false });
    if (!options.quiet) process.stderr.write(`muster import: wrote ${options.output}: ${count(hosts, 'host')}, ${count(fleet.roles.size, 'role')}, ${count(fleet.groups.size, 'group')}\n`);
  });
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
