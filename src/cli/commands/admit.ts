/**
 * `muster admit HOST --role ROLE… [--state S] [--address A]`: the operator's word that lets a
 * host that asked to join (`muster pending`) into the fleet (docs/join.md). In order, each step
 * only once the one before it worked: the request's CSR is checked (for HOST, one P-256 key);
 * HOST is written into the inventory YAML (comments kept, as `muster set` does); its CSR is
 * signed; the brokers learn its user; the inventory is published (the operator needs
 * inventory.publish, checked first); and the host is answered
 * with its certificate, roles and brokers, so its agent starts as any other. No host enters
 * the inventory any other way than by this command or by hand.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { checkCsr } from '../../ca/csr.js';
import { shortDigest } from '../../ca/names.js';
import { stateDirFor } from '../../ca/paths.js';
import { submitCsr } from '../../ca/pending.js';
import { signPending } from '../../ca/sign.js';
import { describeRefresh, refreshBrokers } from '../../broker/index.js';
import { MusterError, UsageError } from '../../core/errors.js';
import type { JoinRequest } from '../../core/fleetKv.js';
import { addHost } from '../../inventory/addHost.js';
import { mayPublishInventory, operatorGrants } from '../../broker/authorization.js';
import { snapshotOf } from '../../inventory/snapshot.js';
import { publishSnapshot } from '../../ops/publish.js';
import { notGrantedMessage, PublishError } from '../../ops/publishBucket.js';
import { answerJoin, pendingJoin } from '../../transport/nats/joinBucket.js';
import { natsSettings } from '../fanout/natsSettings.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';
import { withInventoryBucket } from '../join/operatorBucket.js';
import { userAtHost } from '../../core/whoami.js';

interface AdmitOptions extends GlobalOptions {
  role: string[];
  state?: string;
  address?: string;
  operator?: string;
}

export function command(): Command {
  const cmd = newCommand('admit', 'let a host that asked to join into the inventory: write it, sign it, publish, answer it')
    .argument('<host>', 'the name it asked to join as (muster pending lists them)')
    .requiredOption('--role <role...>', 'its roles (declared ones)')
    .option('--state <state>', 'its state (default: the inventory\'s first)')
    .option('--address <address>', 'its address in the inventory (default: the first IPv4 address its facts give)')
    .option('--operator <name>', 'the operator certificate to use (default: $MUSTER_OPERATOR, else the only one)');
  return cmd.action(async (name: string) => {
    const options = cmd.opts<AdmitOptions>();
    const inventory = await inventoryFor(options);
    const operator = natsSettings(inventory, options.operator).operator;
    // Checked before anything is written: an admitted host must reach every copy of the inventory.
    if (!mayPublishInventory(operatorGrants(inventory, operator))) throw new PublishError(notGrantedMessage(operator));
    await withInventoryBucket(inventory, options.operator, async (kv) => {
      const request = await pendingJoin(kv, name);
      if (!request) throw new MusterError(`${name} has not asked to join (muster pending lists the hosts that have)`);
      const csr = await checkCsr(request.csr, `${name}'s request to join`);
      if (csr.name !== name) throw new MusterError(`${name}'s request to join carries a CSR for ${csr.name}: not admitted`);
      const address = options.address ?? addressOf(request);
      const added = await addHost(options.inventory === undefined ? {} : { path: options.inventory }, {
        name, address, roles: options.role, ...(options.state !== undefined ? { state: options.state } : {}),
      });
      const stateDir = stateDirFor(added.inventory);
      const hostNames = new Set(added.inventory.hostsByName.keys());
      const signed = await signRequest(stateDir, request, address, hostNames, added.file);
      const refresh = describeRefresh(await refreshBrokers(added.inventory, stateDir));
      const by = userAtHost();
      const published = await publishSnapshot(kv, snapshotOf(added.inventory), { by, operator });
      await answerJoin(kv, {
        name,
        cert: await readFile(signed.path, 'utf8'),
        roles: added.host.roles,
        servers: added.inventory.agents?.servers ?? [],
        admittedAt: new Date().toISOString(),
        by,
      });
      const said = { name, file: added.file, revision: published.revision, roles: added.host.roles, state: added.host.state, address, key: shortDigest(signed.spki), notAfter: signed.notAfter };
      if (options.json) printJsonLine({ type: 'admitted', ...said });
      else if (!options.quiet) {
        process.stdout.write(`admitted ${name} (roles ${said.roles.join(', ')}, state ${said.state}, address ${address}) into ${added.file}; signed until ${signed.notAfter.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (key ${said.key})${refresh ? `; ${refresh}` : ''}; published revision ${published.revision}; answered: its agent starts now\n`);
      }
    });
  });
}

/** The first IPv4 address the host's facts give that is not loopback. */
function addressOf(request: JoinRequest): string {
  const addresses = (request.facts as { addresses?: { family?: unknown; address?: unknown }[] }).addresses;
  const first = Array.isArray(addresses)
    ? addresses.find((entry) => entry.family === 'inet' && typeof entry.address === 'string' && !entry.address.startsWith('127.'))
    : undefined;
  if (!first) throw new UsageError(`${request.name}'s facts give no IPv4 address: give --address`);
  return String(first.address);
}

/** Files and signs the request's CSR; a failure says the host is in the inventory but not signed. */
async function signRequest(stateDir: string, request: JoinRequest, address: string, hostNames: ReadonlySet<string>, file: string) {
  try {
    await submitCsr(stateDir, request.csr, { hostNames, source: { via: 'join', address }, expectedName: request.name });
    const [record] = await signPending(stateDir, [request.name], { hostNames });
    if (!record) throw new MusterError(`nothing was signed for ${request.name}`);
    return record;
  } catch (error) {
    if (!(error instanceof MusterError)) throw error;
    throw new MusterError(`${request.name} is now in ${file}, but was not signed: ${error.message}`, { cause: error });
  }
}
