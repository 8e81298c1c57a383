/**
 * `muster gen NAME [-o DIR|FILE] [-s SEL] [--check]`: the built-in generators
 * (nagios, prometheus, munin, hosts, ssh-config, keepalived, nginx-upstream).
 * Every selected host is passed to the generator whatever its state; each
 * generator decides what a host in a skip state gets (docs/render.md).
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { select } from '../../inventory/index.js';
import { generate, listGenerators } from '../../render/generators.js';
import type { PlannedFile } from '../../render/outputs.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { inside, outputIsFolder, writeReport } from '../renderOutput.js';

interface GenOptions extends GlobalOptions {
  output?: string;
  check?: boolean;
  select: string[];
  list?: boolean;
}

function listing(json: boolean | undefined): string {
  const generators = listGenerators();
  if (json) return generators.map((g) => `${JSON.stringify(g)}\n`).join('');
  const width = Math.max(...generators.map((g) => g.name.length));
  return generators.map((g) => `${g.name.padEnd(width)}  ${g.summary}\n`).join('');
}

/** The `gen` command. */
export function command(): Command {
  const cmd = newCommand('gen', 'generate nagios, prometheus, munin, hosts, ssh-config, keepalived or nginx-upstream config')
    .argument('[name]', `generator: ${listGenerators().map((g) => g.name).join(', ')}`)
    .option('-o, --output <path>', 'a folder (created if needed; the only choice for several files), or a file for one; default: stdout')
    .option('-s, --select <selector>', 'hosts to generate for (repeatable; default all, every state)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--check', 'write nothing; exit 1 and print a diff when the output is missing or out of date (for CI)')
    .option('--list', 'list the generators')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster gen nagios -o /etc/nagios4/conf.d/muster/',
      '  muster gen prometheus -o /etc/prometheus/file_sd/muster.json',
      '  muster gen keepalived -s lb -o build/keepalived/     # one file per host',
      '  muster gen nginx-upstream -o upstreams.conf --check  # CI',
    ].join('\n'));
  return cmd.action(async (name: string | undefined) => {
    const options = cmd.opts<GenOptions>();
    if (options.list || name === undefined) {
      process.stdout.write(listing(options.json));
      return;
    }
    if (options.check && !options.output) throw new UsageError('--check compares with files on disk: give -o');
    const inventory = await inventoryFor(options);
    const hosts = select(inventory, options.select.length > 0 ? options.select : ['all'], { allStates: true }).hosts;
    const files = generate(name, inventory, hosts);
    if (!options.output) {
      if (options.json) {
        for (const file of files) printJsonLine({ file: file.name, content: file.content });
        return;
      }
      process.stdout.write(files.length === 1 ? (files[0]?.content ?? '') : files.map((file) => `# ==> ${file.name} <==\n${file.content}`).join('\n'));
      return;
    }
    const out = options.output;
    const folder = outputIsFolder(out, files.length);
    if (folder && files.length === 0) process.stderr.write(`muster: gen ${name}: nothing to generate for the selected hosts\n`);
    const planned: PlannedFile[] = folder
      ? files.map((file) => ({ path: inside(out, file.name), content: file.content }))
      : [{ path: out, content: files[0]?.content ?? '' }];
    await writeReport(planned, options);
  });
}
