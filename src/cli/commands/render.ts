/**
 * `muster render TEMPLATE… [-o OUT] [--each-host DIR] [--check] [-s SEL]`:
 * Liquid templates rendered with the inventory, to stdout, to files (atomic,
 * only rewritten when changed), one file per host, or checked against what is
 * on disk for CI (exit 1 and a unified diff when out of date).
 */
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { Host, Inventory } from '../../inventory/types.js';
import { hostTemplateContext, readTemplateFile, renderTemplate, templateContext } from '../../render/engine.js';
import { hostView, withValues } from '../../render/context.js';
import type { PlannedFile } from '../../render/outputs.js';
import { newCommand, type GlobalOptions } from '../globals.js';
import { inventoryFor, selectFor } from '../inventory.js';
import { inside, outputIsFolder, writeReport } from '../renderOutput.js';

interface RenderOptions extends GlobalOptions {
  output?: string;
  eachHost?: string;
  check?: boolean;
  select: string[];
  allStates?: boolean;
}

/** `site.conf.liquid` → `site.conf`: a template's output name. */
function outputName(template: string): string {
  const name = basename(template);
  return name.endsWith('.liquid') ? name.slice(0, -'.liquid'.length) : name;
}

/** The `render` command. */
export function command(): Command {
  const cmd = newCommand('render', 'render Liquid templates with the inventory (config generation)')
    .argument('<template...>', 'template files (Liquid: {{ }} and {% %}); see docs/render.md for the context and filters')
    .option('-o, --output <path>', 'write here (a folder when several templates; atomic, only when changed); default: stdout')
    .option('--each-host <dir>', 'render once per selected host, to DIR/HOST (several templates: DIR/HOST/NAME)')
    .option('--check', 'write nothing; exit 1 and print a diff when the output is missing or out of date (for CI)')
    .option('-s, --select <selector>', 'hosts for --each-host and for `selected` in templates (repeatable; default all)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--all-states', 'include hosts whose state is in skip_states in the selection')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster render haproxy.cfg.liquid -o /etc/haproxy/haproxy.cfg',
      '  muster render motd.liquid --each-host build/motd -s web',
      '  muster render haproxy.cfg.liquid -o haproxy.cfg --check   # CI: exit 1 + diff if stale',
    ].join('\n'));
  return cmd.action(async (templates: string[]) => {
    const options = cmd.opts<RenderOptions>();
    if (options.check && !options.output && !options.eachHost) throw new UsageError('--check compares with files on disk: give -o OUT or --each-host DIR');
    if (options.output && options.eachHost) throw new UsageError('-o and --each-host cannot be combined');
    const inventory = await inventoryFor(options);
    const selection = selectFor(inventory, options.select, { ...options, quiet: options.quiet === true || !options.eachHost });
    const sources = templates.map((path) => ({ path, source: readTemplateFile(path) }));

    if (options.eachHost) {
      const files = perHost(inventory, selection.hosts, sources, options.eachHost);
      await writeReport(files, options);
      return;
    }
    const context = withValues(templateContext(inventory), { selected: selection.hosts.map(hostView) });
    const rendered = sources.map(({ path, source }) => ({ path, text: renderTemplate(source, context, { file: path }) }));
    if (!options.output) {
      process.stdout.write(rendered.map((r) => r.text).join(''));
      return;
    }
    const several = outputIsFolder(options.output, rendered.length);
    const out = options.output;
    const files: PlannedFile[] = several
      ? rendered.map((r) => ({ path: inside(out, outputName(r.path)), content: r.text }))
      : rendered.map((r) => ({ path: out, content: r.text }));
    await writeReport(files, options);
  });
}

function perHost(inventory: Inventory, hosts: Host[], sources: { path: string; source: string }[], dir: string): PlannedFile[] {
  const files: PlannedFile[] = [];
  const selected = hosts.map(hostView);
  for (const host of hosts) {
    const context = withValues(hostTemplateContext(inventory, host), { selected });
    for (const { path, source } of sources) {
      const text = renderTemplate(source, context, { file: path });
      // One template: DIR/HOST plus the template's own extension (motd.liquid → HOST, site.conf.liquid → HOST.conf).
      files.push({
        path: sources.length === 1 ? inside(dir, host.name + extname(outputName(path))) : inside(inside(dir, host.name), outputName(path)),
        content: text,
      });
    }
  }
  return files;
}
