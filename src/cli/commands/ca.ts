/**
 * `muster ca init | list | request | sign | revoke | show`: the fleet CA (src/ca/, docs/ca.md).
 * The state folder is `stateDirFor(inventory)`; the inventory gives the host names a CSR may
 * name and the default broker names (`agents.servers`). After sign and revoke the running
 * brokers are refreshed, so a revocation takes effect at once.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { readRegularFile } from '../../core/readRegularFile.js';
import {
  initCa, listCa, maxCsrBytes, revokeCertificate, showCertificate, shortDigest, signJoin, signOperator, signPending, stateDirFor, submitCsr,
  type CertKind, type CertRecord, type CertView, type PendingCsr,
} from '../../ca/index.js';
import type { Inventory } from '../../inventory/types.js';
import { describeRefresh, parseServer, refreshBrokers } from '../../broker/index.js';
import { brokerDir } from '../../ca/paths.js';
import { exitCodes } from '../exit.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';

/** The global options given to `ca` or to its subcommand (`muster -i x ca list` puts -i on `ca`). */
function optionsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

async function context(cmd: Command): Promise<{ options: GlobalOptions; inventory: Inventory; stateDir: string }> {
  const options = optionsOf(cmd);
  const inventory = await inventoryFor(options);
  return { options, inventory, stateDir: stateDirFor(inventory) };
}

function daysOf(text: string | undefined): { days?: number } {
  if (text === undefined) return {};
  if (!/^\d+$/.test(text)) throw new UsageError(`Invalid --days "${text}": expected a whole number of days`);
  return { days: Number(text) };
}

function day(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * The hosts of `agents.servers` URLs (`tls://10.0.0.5:4222` -> `10.0.0.5`, `tls://[::1]:4222`
 * -> `[::1]`): the broker's default names, parsed as the broker parses them (parseServer).
 */
export function serverHosts(servers: readonly string[]): string[] {
  return servers.map((server) => parseServer(server).host);
}

/**
 * Refreshes the brokers running here after a sign or revoke. A node that did not confirm its
 * reload is a warning on stderr whatever -q/--json say, and exit 1: a revoked identity may still
 * be connected to it. After a revoke with no broker running here, stderr says what to do instead.
 */
async function refresh(inventory: Inventory, stateDir: string, quiet: boolean | undefined, after: 'sign' | 'revoke'): Promise<void> {
  const done = await refreshBrokers(inventory, stateDir);
  const note = describeRefresh(done);
  if (done.unconfirmed.length > 0) {
    process.stderr.write(`muster: warning: ${note ?? ''}\n`);
    process.exitCode = exitCodes.failed;
    return;
  }
  if (note !== undefined) {
    if (!quiet) process.stdout.write(`${note}\n`);
    return;
  }
  if (after === 'revoke') {
    process.stderr.write(`muster: note: no broker runs here (${brokerDir(stateDir)}): copy auth.conf to the brokers and reload them (SIGHUP)\n`);
  }
}

function initCommand(): Command {
  const cmd = newCommand('init', 'make the fleet CA and the brokers\' certificate')
    .option('--san <address...>', 'broker address or DNS name (repeatable; default: the hosts of agents.servers; 127.0.0.1 and localhost always)')
    .option('--days <n>', 'validity of the CA in days (default 3650)');
  return cmd.action(async (local: { san?: string[]; days?: string }) => {
    const { options, inventory, stateDir } = await context(cmd);
    const sans = local.san ?? serverHosts(inventory.agents?.servers ?? []);
    const made = await initCa(stateDir, { sans, ...daysOf(local.days) });
    if (options.json) printJsonLine(made);
    else if (!options.quiet) {
      process.stdout.write([
        `fleet CA made in ${made.dir}`,
        `  ca.crt      ${shortDigest(made.fingerprint)} until ${day(made.notAfter)}`,
        `  broker      ${made.broker.cert} for ${made.broker.altNames.join(', ')} until ${day(made.broker.notAfter)}`,
        'Next: muster ca sign --operator NAME, then muster broker up',
        '',
      ].join('\n'));
    }
  });
}

function pendingLine(entry: PendingCsr): string {
  const from = `${entry.source.via} ${entry.source.address ?? ''}`.trim();
  return `${entry.name}  key ${shortDigest(entry.spki)}  from ${from}  at ${day(entry.receivedAt)}`;
}

function listCommand(): Command {
  const cmd = newCommand('list', 'pending CSRs, and every certificate signed with its status');
  return cmd.action(async () => {
    const { options, stateDir } = await context(cmd);
    const listing = await listCa(stateDir);
    if (options.json) {
      for (const entry of listing.pending) printJsonLine({ type: 'pending', ...entry });
      for (const record of listing.certificates) printJsonLine({ type: 'certificate', ...record });
      return;
    }
    const lines: string[] = [];
    if (listing.pending.length > 0) {
      lines.push(`pending (${listing.pending.length}; sign with muster ca sign HOST… or --all):`);
      for (const entry of listing.pending) lines.push(`  ${pendingLine(entry)}`);
    }
    const shown = options.verbose ? listing.certificates : latestOfEach(listing.certificates);
    if (shown.length > 0) {
      const width = Math.max(...shown.map((record) => record.name.length));
      lines.push('certificates:');
      for (const record of shown) {
        lines.push(`  ${record.kind.padEnd(8)}  ${record.name.padEnd(width)}  until ${day(record.notAfter)}  ${record.status.padEnd(13)}  serial ${record.serial.slice(0, 16)}`);
      }
    }
    if (lines.length === 0) lines.push(`nothing pending, nothing signed yet (${stateDir})`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** The newest record of each kind and name (the others: `-v`). */
function latestOfEach(records: CertView[]): CertView[] {
  const latest = new Map<string, CertView>();
  for (const record of records) latest.set(`${record.kind}\0${record.name}`, record);
  return [...latest.values()];
}

/**
 * Stdin up to `limit` bytes, then no more: one byte past the CSR limit is enough for submitCsr
 * to refuse it, and an endless or huge stdin is neither waited for nor held in memory.
 */
async function readStdin(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = chunk as Buffer;
    chunks.push(buffer.subarray(0, limit - size));
    size += Math.min(buffer.length, limit - size);
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function requestCommand(): Command {
  const cmd = newCommand('request', 'file an agent\'s CSR (from muster agent enroll) as pending')
    .argument('<file>', 'the CSR file, or - for stdin');
  return cmd.action(async (file: string) => {
    const { options, inventory, stateDir } = await context(cmd);
    const hostNames = new Set(inventory.hostsByName.keys());
    const pem = file === '-'
      ? await readStdin(maxCsrBytes + 1)
      : await readRegularFile(file, { what: 'CSR', shown: file, maxBytes: maxCsrBytes });
    // A file named after a host (web01.csr) must hold that host's CSR.
    const stem = basename(file).replace(/\.csr$/, '');
    const expected = file !== '-' && file.endsWith('.csr') && hostNames.has(stem) ? { expectedName: stem } : {};
    const entry = await submitCsr(stateDir, pem, {
      hostNames, source: { via: 'file', address: file === '-' ? 'stdin' : file }, ...expected,
    });
    if (options.json) printJsonLine(entry);
    else if (!options.quiet) {
      const replaced = entry.replacedSpki ? ` (replaces the pending CSR with key ${shortDigest(entry.replacedSpki)})` : '';
      process.stdout.write(`pending: ${entry.name} key ${shortDigest(entry.spki)}${replaced}; sign it with muster ca sign ${entry.name}\n`);
    }
  });
}

function signedLine(record: CertRecord): string {
  return `signed ${record.kind} ${record.name} until ${day(record.notAfter)} (${shortDigest(record.fingerprint)}): ${record.path}`;
}

function signCommand(): Command {
  const cmd = newCommand('sign', 'sign pending agent CSRs, or make an operator\'s identity')
    .argument('[host...]', 'hosts whose pending CSRs to sign')
    .option('--all', 'every pending CSR')
    .option('--operator <name>', 'make (or renew) the key and certificate of operator NAME')
    .option('--join <name>', 'make (or renew) join credential NAME, which new hosts use to ask to join (docs/join.md)')
    .option('--days <n>', 'validity in days (default 365, 30 for --join; never past the CA\'s own)');
  return cmd.action(async (hosts: string[], local: { all?: boolean; operator?: string; join?: string; days?: string }) => {
    const chosen = [hosts.length > 0, local.all === true, local.operator !== undefined, local.join !== undefined].filter(Boolean).length;
    if (chosen !== 1) throw new UsageError('Give the hosts to sign, or --all, or --operator NAME, or --join NAME (one of them)');
    const { options, inventory, stateDir } = await context(cmd);
    const days = daysOf(local.days);
    let signed: CertRecord[];
    if (local.join !== undefined) {
      signed = [await signJoin(stateDir, local.join, days)];
    } else if (local.operator !== undefined) {
      signed = [await signOperator(stateDir, local.operator, days)];
      if (!Object.hasOwn(inventory.agents?.operators ?? {}, local.operator) && !options.quiet) {
        process.stderr.write(`muster: note: operator ${local.operator} is not in the inventory's agents.operators, so the brokers let it call nothing but ping\n`);
      }
    } else {
      const names = local.all ? (await listCa(stateDir)).pending.map((entry) => entry.name) : hosts;
      if (names.length === 0) {
        if (!options.quiet && !options.json) process.stdout.write('nothing pending to sign\n');
        return;
      }
      signed = await signPending(stateDir, names, { ...days, hostNames: new Set(inventory.hostsByName.keys()) });
    }
    for (const record of signed) {
      if (options.json) printJsonLine(record);
      else if (!options.quiet) process.stdout.write(`${signedLine(record)}\n`);
    }
    await refresh(inventory, stateDir, options.quiet || options.json, 'sign');
  });
}

function kindOf(local: { operator?: boolean; join?: boolean }): CertKind {
  if (local.operator && local.join) throw new UsageError('Give --operator or --join, not both');
  return local.operator ? 'operator' : local.join ? 'join' : 'agent';
}

function revokeCommand(): Command {
  const cmd = newCommand('revoke', 'revoke a host\'s (or --operator\'s) certificate: the brokers refuse it from now on')
    .argument('<name>', 'host name, or operator name with --operator, or join credential with --join')
    .option('--operator', 'NAME is an operator')
    .option('--join', 'NAME is a join credential');
  return cmd.action(async (name: string, local: { operator?: boolean; join?: boolean }) => {
    const { options, inventory, stateDir } = await context(cmd);
    const kind = kindOf(local);
    const revoked = await revokeCertificate(stateDir, kind, name);
    if (options.json) for (const record of revoked) printJsonLine(record);
    else if (!options.quiet) {
      const serials = revoked.map((record) => record.serial.slice(0, 16)).join(', ');
      process.stdout.write(`revoked ${kind} ${name}: ${revoked.length} certificate${revoked.length === 1 ? '' : 's'} (serial ${serials})\n`);
    }
    await refresh(inventory, stateDir, options.quiet || options.json, 'revoke');
  });
}

function showCommand(): Command {
  const cmd = newCommand('show', 'one certificate: subject, serial, fingerprint, validity, status')
    .argument('<name>', 'host name, or operator name with --operator, or join credential with --join')
    .option('--operator', 'NAME is an operator')
    .option('--join', 'NAME is a join credential');
  return cmd.action(async (name: string, local: { operator?: boolean; join?: boolean }) => {
    const { options, stateDir } = await context(cmd);
    const shown = await showCertificate(stateDir, kindOf(local), name);
    if (options.json) {
      printJsonLine(shown);
      return;
    }
    const lines = [
      `${shown.kind} ${shown.name}: ${shown.status}${shown.revokedAt ? ` (revoked ${day(shown.revokedAt)})` : ''}`,
      `  subject      ${shown.subject}`,
      `  serial       ${shown.serial}`,
      `  sha256       ${shown.fingerprint}`,
      `  key sha256   ${shown.spki}`,
      `  valid        ${day(shown.notBefore)} to ${day(shown.notAfter)}`,
      `  signed       ${day(shown.signedAt)}`,
      `  file         ${shown.path}`,
    ];
    if (shown.earlier.length > 0) lines.push(`  earlier      ${shown.earlier.map((record) => `${record.serial.slice(0, 16)} (${record.status})`).join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** `muster ca` and its subcommands. */
export function command(): Command {
  return newCommand('ca', 'the fleet CA: init, list, request, sign, revoke, show')
    .enablePositionalOptions()
    .addCommand(initCommand())
    .addCommand(listCommand())
    .addCommand(requestCommand())
    .addCommand(signCommand())
    .addCommand(revokeCommand())
    .addCommand(showCommand());
}
