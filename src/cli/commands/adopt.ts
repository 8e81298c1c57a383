/**
 * `muster adopt SEL PATH… [--role R | --host]`: put the files as they run
 * today into the repository. Each selected host is read once (every path in
 * one remote command); identical copies are one variant; the largest variant
 * becomes the role's file and the others host overrides (or, with --host,
 * every host its own), written under files/ and declared in the inventory,
 * comments kept (ops/adopt.ts). The report says, per path, how many variants,
 * which hosts each, and what was written where.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import { adoptFiles, type AdoptResult } from '../../ops/adopt.js';
import { adoptReadJob, type LiveFile } from '../../ops/adoptRead.js';
import { adoptRole, checkAdoptPath, type PathPlan } from '../../ops/adoptPlan.js';
import { contentDiff } from '../../ops/diff-unified.js';
import { escapeControls } from '../../report/escapeControls.js';
import { painter } from '../../report/paint.js';
import { runOn } from '../../run/engine.js';
import { selectFleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { newCommand, printJsonLine } from '../globals.js';

interface AdoptOptions extends FanoutOptions {
  role?: string;
  host?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

/** The `adopt` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('adopt', 'put the live files of the selected hosts into the repository and declare them (files:)'))
    .argument('<selector>', 'which hosts')
    .argument('<path...>', 'absolute paths of the files on the hosts')
    .option('--role <role>', 'adopt into this role (default: the only role every selected host has)')
    .option('--host', 'give every host its own copy (files/host/HOST/…) instead of a role file')
    .option('--force', 'adopt again a path that is declared already, or replace a repository file adopt did not write')
    .option('-n, --dry-run', 'fetch and show what would be written; write nothing')
    .addHelpText('after', [
      '',
      'The largest group of identical copies (bytes, mode, owner) becomes files/ROLE/PATH, declared in the',
      'role; every host with another copy gets files/host/HOST/PATH, declared in its host entry. Hosts',
      'without the file are reported and left out. Files not readable by others (0600) are adopted, never shown.',
      '',
      'Examples:',
      '  muster adopt web /etc/nginx/nginx.conf /etc/cron.d/logrotate',
      '  muster adopt db01 /etc/postgresql/16/main/pg_hba.conf --host',
    ].join('\n'))
    .action(async (selector: string, paths: string[], options: AdoptOptions) => {
      for (const path of paths) checkAdoptPath(path);
      if (new Set(paths).size !== paths.length) throw new UsageError('A path is given twice');
      if (options.role !== undefined && options.host) throw new UsageError('Give --role or --host, not both');
      const fleet = await selectFleet([selector], options);
      const unknown = fleet.hosts.filter((host) => !fleet.inventory.hostsByName.has(host.name)).map((host) => host.name);
      if (unknown.length > 0) throw new UsageError(`${foldNodeset(unknown)}: not in the inventory; adopt declares files for inventory hosts only`);
      // Where the files go is settled before any host is asked: a wrong --role costs no connection.
      if (!options.host && fleet.hosts.length > 0) adoptRole(fleet.inventory, fleet.hosts, options.role);
      let result: AdoptResult | undefined;
      await fanoutWith(fleet.targets, options, {
        command: 'adopt',
        selector,
        journal: false,
        render: (run, color) => {
          const unread = run.outcomes.filter((outcome) => outcome.status !== 'ok').map((outcome) => outcome.host);
          const note = unread.length > 0 ? `not read: ${foldNodeset(unread)} (${unread.length}; see the summary): nothing adopted for ${unread.length === 1 ? 'it' : 'them'}\n` : '';
          return (result ? formatAdoptReport(result, color, options.dryRun === true) : '') + note;
        },
      }, async (run) => {
        const read = await runOn(fleet.targets, adoptReadJob(paths, options.sudo ? { sudo: true } : {}), run);
        const live = new Map<string, Map<string, LiveFile>>();
        for (const outcome of read.outcomes) if (outcome.status === 'ok' && outcome.data) live.set(outcome.host, outcome.data);
        if (live.size > 0) {
          result = await adoptFiles({
            ...(options.inventory !== undefined ? { path: options.inventory } : {}),
            live,
            hosts: fleet.hosts.map((host) => host.name),
            paths,
            ...(options.host ? { host: true } : {}),
            ...(options.role !== undefined ? { role: options.role } : {}),
            force: options.force === true,
            dryRun: options.dryRun === true,
          });
        }
        return read;
      });
      if (options.json && result) printJsonLine(adoptJson(result, options.dryRun === true));
    });
}

/** The report: per path its variants (hosts, checksum, size, mode, owner, where it went), the hosts without it, the diffs; then what was written. */
export function formatAdoptReport(result: AdoptResult, color: boolean, dryRun: boolean): string {
  const paint = painter(color);
  const out: string[] = [];
  for (const path of result.plan.paths) {
    const answered = path.variants.reduce((sum, variant) => sum + variant.hosts.length, 0);
    const count = path.variants.length;
    const title = count === 1 ? `1 variant on ${hostCount(answered)}` : `${count} variants across ${hostCount(answered)}`;
    out.push(paint('bold', `${path.path}: ${title}${path.changes ? '' : ' (already adopted, unchanged)'}`));
    const labels = path.variants.map((variant) => `${foldNodeset(variant.hosts)} (${variant.hosts.length})`);
    const width = Math.max(...labels.map((label) => label.length));
    path.variants.forEach((variant, index) => {
      const where = variant.as === 'role'
        ? `${path.srcOf.get(variant.hosts[0] ?? '')} (role ${'role' in result.plan.into ? result.plan.into.role : ''})`
        : `${variant.hosts.length === 1 ? path.srcOf.get(variant.hosts[0] ?? '') : `files/host/HOST${path.path}`} (host ${count > 1 && 'role' in result.plan.into ? 'override' : 'file'}${variant.hosts.length === 1 ? '' : ` of each of ${foldNodeset(variant.hosts)}`})`;
      out.push(`  ${(labels[index] ?? '').padEnd(width)}  sha256 ${variant.sha256.slice(0, 12)}  ${variant.size} bytes  ${variant.mode} ${escapeControls(variant.owner)}  -> ${where}`);
    });
    if (path.missing.length > 0) out.push(paint('yellow', `  missing on ${foldNodeset(path.missing)} (${path.missing.length}): not adopted for ${path.missing.length === 1 ? 'it' : 'them'}`));
    for (const other of path.other) out.push(paint('yellow', `  ${escapeControls(other.what)} on ${foldNodeset(other.hosts)} (${other.hosts.length}): not adopted`));
    for (const dropped of path.dropped) out.push(`  ${dropped.host}: its host override is removed, it has the role's file now${dropped.src ? ` (${dropped.src} is no longer named: git rm it)` : ''}`);
    out.push(...variantDiffs(path));
  }
  if (result.roleOthers.length > 0 && 'role' in result.plan.into) {
    out.push(paint('yellow', `note: role ${result.plan.into.role} also holds ${foldNodeset(result.roleOthers)} (${result.roleOthers.length}, not selected): its files now reach them too (see muster drift)`));
  }
  for (const split of result.splits) out.push(`split ${split.pattern} (${split.file}:${split.line}) into ${split.kept} and ${split.split}`);
  const wrote = dryRun ? result.plan.paths.flatMap((path) => path.writes.filter((write) => write.changes).map((write) => write.src)) : result.wrote;
  const yaml = dryRun ? [] : result.inventoryWritten;
  if (wrote.length === 0 && yaml.length === 0 && !dryRun) out.push('nothing to write: the repository already holds these files and entries');
  else {
    const verb = dryRun ? 'would write' : 'wrote';
    out.push(`${verb} ${wrote.length} file${wrote.length === 1 ? '' : 's'} under ${result.root}${wrote.length > 0 ? `: ${wrote.join(', ')}` : ''}`);
    if (!dryRun) out.push(yaml.length > 0 ? `${verb} ${yaml.join(', ')} (files: entries, comments kept)` : 'the inventory already declared them');
  }
  return `${out.join('\n')}\n`;
}

/** Each other variant against the largest, unless either may not be shown. */
function variantDiffs(path: PathPlan): string[] {
  const [first, ...rest] = path.variants;
  if (!first) return [];
  const out: string[] = [];
  for (const variant of rest) {
    if (first.secret || variant.secret) {
      out.push(`  (${foldNodeset(variant.hosts)}: not readable by others (mode ${variant.secret ? variant.mode : first.mode}): contents not shown)`);
      continue;
    }
    const diff = contentDiff({ content: first.content, label: `${foldNodeset(first.hosts)}:${path.path}` }, { content: variant.content, label: `${foldNodeset(variant.hosts)}:${path.path}` });
    // The diff quotes the hosts' files: not trusted with the terminal.
    if (diff !== '') out.push(escapeControls(diff.replace(/\n$/, '')));
    else out.push(`  (${foldNodeset(variant.hosts)}: same content, mode or owner differs)`);
  }
  return out;
}

function hostCount(count: number): string {
  return `${count} host${count === 1 ? '' : 's'}`;
}

function adoptJson(result: AdoptResult, dryRun: boolean): unknown {
  return {
    type: 'adopt',
    into: result.plan.into,
    root: result.root,
    dryRun,
    paths: result.plan.paths.map((path) => ({
      path: path.path,
      changes: path.changes,
      variants: path.variants.map((variant) => ({ hosts: foldNodeset(variant.hosts), count: variant.hosts.length, sha256: variant.sha256, size: variant.size, mode: variant.mode, owner: variant.owner, secret: variant.secret, as: variant.as, src: variant.hosts.map((host) => path.srcOf.get(host)).filter((src, index, all) => all.indexOf(src) === index) })),
      missing: foldNodeset(path.missing),
      other: path.other.map((other) => ({ what: other.what, hosts: foldNodeset(other.hosts) })),
    })),
    wrote: result.wrote,
    inventoryWritten: result.inventoryWritten,
    roleOthers: foldNodeset(result.roleOthers),
  };
}
