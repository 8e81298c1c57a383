/** `muster pending`: hosts that asked to join (docs/join.md), with what they say of themselves. */
import type { Command } from 'commander';
import { shortDigest } from '../../ca/names.js';
import { checkCsr } from '../../ca/csr.js';
import type { JoinRequest } from '../../core/fleetKv.js';
import { escapeControls } from '../../report/escapeControls.js';
import { pendingJoins } from '../../transport/nats/joinBucket.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { withInventoryBucket } from '../join/operatorBucket.js';

interface PendingOptions extends GlobalOptions {
  operator?: string;
}

export function command(): Command {
  const cmd = newCommand('pending', 'hosts that asked to join, with their facts: admit one with muster admit HOST --role ROLE')
    .option('--operator <name>', 'the operator certificate to use (default: $MUSTER_OPERATOR, else the only one)');
  return cmd.action(async () => {
    const options = cmd.opts<PendingOptions>();
    const inventory = await inventoryFor(options);
    const requests = await withInventoryBucket(inventory, options.operator, (kv) => pendingJoins(kv));
    for (const request of requests) {
      const key = await keyOf(request);
      if (options.json) printJsonLine({ name: request.name, requestedAt: request.requestedAt, key, inInventory: inventory.hostsByName.has(request.name), facts: request.facts });
      else process.stdout.write(`${escapeControls(pendingLine(request, key, inventory.hostsByName.has(request.name)))}\n`);
    }
    if (requests.length === 0 && !options.json && !options.quiet) process.stdout.write('no host is waiting to join\n');
  });
}

/** The request's key digest, or why its CSR is no good (admit would refuse it too). */
async function keyOf(request: JoinRequest): Promise<string> {
  try {
    const csr = await checkCsr(request.csr, `${request.name}'s request`);
    return csr.name === request.name ? shortDigest(csr.spki) : `CSR for ${csr.name}!`;
  } catch (error) {
    return `bad CSR (${(error as Error).message})`;
  }
}

/** `web05  asked 2026-12-02 17:01:02Z  key sha256:…  debian 12, kernel 6.1.0-27-amd64, 2 cpus, 10.0.0.5`. */
function pendingLine(request: JoinRequest, key: string, known: boolean): string {
  const facts = request.facts as { os?: { id?: unknown; version?: unknown }; kernel?: { release?: unknown }; cpus?: { count?: unknown }; addresses?: { address?: unknown; family?: unknown }[] };
  const addresses = Array.isArray(facts.addresses) ? facts.addresses.filter((entry) => entry.family === 'inet' && !String(entry.address).startsWith('127.')).map((entry) => String(entry.address)) : [];
  const said = [
    facts.os ? `${String(facts.os.id ?? '?')} ${String(facts.os.version ?? '')}`.trim() : undefined,
    facts.kernel?.release !== undefined ? `kernel ${String(facts.kernel.release)}` : undefined,
    facts.cpus?.count !== undefined ? `${String(facts.cpus.count)} cpus` : undefined,
    addresses.length > 0 ? addresses.join(' ') : 'no address',
  ].filter((part) => part !== undefined);
  const at = request.requestedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return `${request.name}  asked ${at}  key ${key}  ${said.join(', ')}${known ? '  (in the inventory already: its agent enrolls as usual)' : ''}`;
}
