/**
 * `muster provision check|sync|enable|disable`: network-boot provisioning from
 * the inventory (docs/provision.md). check validates without writing (exit 1
 * with every problem); sync writes dnsmasq's config and reservations, the boot
 * menus and installer files into DIR, only what changed; enable/disable flip a
 * host's netboot in the YAML, comments kept.
 */
import type { Command } from 'commander';
import { InvalidFileError, MusterError, UsageError, formatProblem } from '../../core/errors.js';
import type { Inventory } from '../../inventory/types.js';
import { checkProvision } from '../../provision/validate.js';
import { setNetboot } from '../../inventory/editProvision.js';
import { ProvisionKeys } from '../../provision/hostKey.js';
import { buildTree } from '../../provision/tree.js';
import { syncProvision, type ProvisionSyncReport } from '../../provision/sync.js';
import { unifiedDiff } from '../../render/diff.js';
import { escapeControls } from '../../report/escapeControls.js';
import { exitCodes } from '../exit.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { readTokenFile } from '../tokenFile.js';

interface SyncFlags extends GlobalOptions {
  output: string;
  check?: boolean;
  url?: string;
  bootFiles?: string;
  dhcpRange: string[];
  pidFile?: string;
  full?: boolean;
  tokenFile?: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function checkCommand(): Command {
  return newCommand('check', 'validate every host\'s provisioning and render its installer files; write nothing (exit 1 with every problem)')
    .option('--url <url>', 'muster serve\'s URL as installers reach it, as sync would be given')
    .action(async (options: GlobalOptions & { url?: string }) => {
      const inventory = await inventoryFor(options);
      const tree = buildTree(inventory, { dir: '/nonexistent-provision-check', ...(options.url !== undefined ? { url: options.url } : {}) });
      if (options.json) {
        for (const problem of tree.problems) printJsonLine({ message: problem.message, ...(problem.at ? { ...problem.at } : {}) });
        printJsonLine({ ok: tree.problems.length === 0, hosts: tree.plans.length, netboot: tree.plans.filter((p) => p.netboot.value).length, problems: tree.problems.length });
      } else if (tree.problems.length > 0) {
        process.stderr.write(`muster: ${escapeControls(new InvalidFileError('the provisioning', tree.problems).message)}\n`);
      } else if (!options.quiet) {
        const on = tree.plans.filter((p) => p.netboot.value).length;
        process.stdout.write(`provisioning: ${plural(tree.plans.length, 'host')} (${on} netboot on), ${plural(Object.keys(inventory.profiles?.value ?? {}).length, 'profile')} — ok\n`);
      }
      if (tree.problems.length > 0) process.exitCode = exitCodes.failed;
    });
}

function syncCommand(): Command {
  return newCommand('sync', 'write dnsmasq config, reservations, pxelinux/GRUB/iPXE menus and installer files into DIR (only what changed)')
    .requiredOption('-o, --output <dir>', 'the folder to write (dnsmasq -C DIR/dnsmasq.conf; TFTP root DIR/tftp)')
    .option('--check', 'write nothing; print the diff and exit 1 when something would change (for CI)')
    .option('--url <url>', 'muster serve\'s URL as installers reach it (http://10.0.0.1:8080): kernel lines then fetch the answer file from it')
    .option('--boot-files <dir>', 'where profiles\' kernel/initrd paths are found (default: Debian\'s d-i netboot tree)')
    .option('--dhcp-range <start,end>', 'a dynamic range for interfaces with dhcp: true (repeatable)', (value: string, list: string[]) => [...list, value], [] as string[])
    .option('--pid-file <file>', 'dnsmasq\'s pid file: SIGHUP it when only the reservations changed')
    .option('--full', 'render and compare every host, also those unchanged since the last sync (puts back files edited by hand in DIR)')
    .option('--token-file <file>', 'muster serve\'s --token-file: the installers\' URLs then carry each host\'s own key, made from it (serve needs the token; installers cannot send it)')
    .addHelpText('after', `
Examples:
  muster provision sync -o /srv/provision --url http://10.0.0.1:8080 --pid-file /run/dnsmasq-provision.pid
  dnsmasq -C /srv/provision/dnsmasq.conf --interface=br-prov --pid-file=/run/dnsmasq-provision.pid
  muster provision sync -o /srv/provision --check   # CI: exit 1 + diff if out of date`)
    .action(async (options: SyncFlags) => {
      if (options.tokenFile !== undefined && options.url === undefined) throw new UsageError('--token-file goes with --url (the keys are in the URLs installers are given)');
      const inventory = await inventoryFor(options);
      const report = await syncProvision(inventory, {
        dir: options.output,
        ...(options.check ? { check: true } : {}),
        ...(options.url !== undefined ? { url: options.url } : {}),
        ...(options.bootFiles !== undefined ? { bootFiles: options.bootFiles } : {}),
        ...(options.dhcpRange.length > 0 ? { dhcpRanges: options.dhcpRange } : {}),
        ...(options.pidFile !== undefined ? { pidFile: options.pidFile } : {}),
        ...(options.full ? { full: true } : {}),
        ...(options.tokenFile !== undefined ? { keys: new ProvisionKeys(readTokenFile(options.tokenFile)) } : {}),
      });
      if (options.check) printCheck(report, options);
      else printSync(report, options);
    });
}

function printCheck(report: ProvisionSyncReport, options: GlobalOptions): void {
  const differs = report.created.length + report.changed.length + report.removed.length > 0;
  if (options.json) {
    for (const path of [...report.created, ...report.changed]) printJsonLine({ file: path, status: report.created.includes(path) ? 'missing' : 'differs' });
    for (const path of report.removed) printJsonLine({ file: path, status: 'would remove' });
  } else {
    for (const path of [...report.created, ...report.changed]) {
      const text = report.texts.get(path);
      process.stdout.write(text ? unifiedDiff(text.old ?? '', text.new, { before: path, after: `${path} (generated)` }) : `would copy ${path}\n`);
    }
    for (const path of report.removed) process.stdout.write(`would remove ${path}\n`);
    if (!options.quiet) process.stderr.write(differs ? `muster: ${plural(report.created.length + report.changed.length + report.removed.length, 'file')} out of date\n` : 'muster: up to date\n');
  }
  if (differs) process.exitCode = exitCodes.failed;
}

function printSync(report: ProvisionSyncReport, options: GlobalOptions): void {
  const rows: [string, string[]][] = [['created', report.created], ['changed', report.changed], ['removed', report.removed]];
  if (options.json) {
    for (const [status, paths] of rows) for (const path of paths) printJsonLine({ file: path, status });
    printJsonLine({ type: 'summary', created: report.created.length, changed: report.changed.length, removed: report.removed.length, unchanged: report.unchanged, dnsmasq: report.dnsmasq });
    return;
  }
  if (options.quiet) return;
  for (const [status, paths] of rows) for (const path of paths) process.stderr.write(`${status.padEnd(9)} ${path}\n`);
  const hosts = report.tree.plans.length;
  const on = report.tree.plans.filter((p) => p.netboot.value).length;
  const dnsmasq = report.dnsmasq === 'none' ? '' : `; dnsmasq: ${report.dnsmasq === 'restart needed' ? 'dnsmasq.conf changed, restart it (SIGHUP does not re-read it)' : report.dnsmasq}`;
  process.stderr.write(`muster: ${plural(hosts, 'host')} (${on} netboot on): ${report.created.length} created, ${report.changed.length} changed, ${report.removed.length} removed, ${report.unchanged} unchanged${dnsmasq}\n`);
}

/** An enable that would leave the host unprovisionable (no interface, no profile) is refused with its problems; nothing is written. */
function refuseInvalid(after: Inventory, host: string): void {
  const problems = checkProvision(after).problems.filter((problem) => problem.message.startsWith(`${host}: `));
  if (problems.length > 0) throw new MusterError(`Refusing the edit (nothing was written; lines are those of the edited text): ${problems.map(formatProblem).join('\n  ')}`);
}

function flipCommand(name: 'enable' | 'disable'): Command {
  const netboot = name === 'enable';
  return newCommand(name, `set provision: netboot: ${String(netboot)} on HOST in the inventory YAML (comments kept)`)
    .argument('<host>', 'one host, by name')
    .action(async (host: string, options: GlobalOptions) => {
      const edit = await setNetboot({ host, netboot, verify: refuseInvalid, cache: true, ...(options.inventory !== undefined ? { path: options.inventory } : {}) });
      if (options.json) printJsonLine({ host: edit.host, old: edit.old ?? null, netboot: edit.netboot, written: edit.written });
      else if (!options.quiet) {
        const split = edit.splits.map((s) => `split ${s.pattern} (${s.file}:${s.line}) into ${s.kept} and ${s.split}\n`).join('');
        const said = edit.written.length === 0 ? 'nothing to write: the inventory already says this' : `wrote ${edit.written.join(', ')}`;
        process.stdout.write(`${split}${edit.host}: netboot ${edit.old === undefined ? '(unset)' : String(edit.old)} → ${String(netboot)}; ${said}\n`);
      }
    });
}

/** `muster provision`: check, sync, enable, disable. */
export function command(): Command {
  return newCommand('provision', 'network-boot provisioning from the inventory: check, sync -o DIR, enable|disable HOST')
    .enablePositionalOptions()
    .addCommand(checkCommand())
    .addCommand(syncCommand())
    .addCommand(flipCommand('enable'))
    .addCommand(flipCommand('disable'));
}
