/**
 * Who may publish and subscribe what on the broker, generated from the inventory and the
 * CA's index (docs/broker.md). Pure: the same inventory and records give the same users.
 *
 * The rules (docs/agents.md, "Subjects"):
 * - an agent HOST (a certificate of kind agent whose name is an inventory host) may
 *   subscribe only to `muster.agent.<HOST>.>` and `muster.role.<ROLE>.>` for its roles and
 *   its own KV inbox, and publish nothing but replies to requests it received
 *   (`allow_responses`), reads of the KV bucket and its own facts (`keyValueSubjects`);
 * - an operator NAME may publish only to the module subjects the union of its permission
 *   roles grants (`ping` always): a module is `muster.agent.*.<module>.*` (one action token,
 *   never `>`: the agent refuses any longer subject too), an action `muster.agent.*.<module>.<action>`,
 *   and `command.run` brings `command.stdin`, `command.cancel` and `command.alive` (the caller's
 *   keepalive); it subscribes only to its own inbox;
 * - the public key of every active certificate that became a user is pinned, so a revoked one
 *   fails the handshake.
 * An agent certificate whose name is no longer in the inventory gets no user and no pin: it cannot connect.
 */
import { factsKey, inventoryKeyFilters, kvStream, kvSubject } from '../core/fleetKv.js';
import { agentInboxPrefix, agentWildcard, inboxPrefix, roleWildcard } from '../core/subjects.js';
import { distinguishedValue, userNameOf } from '../ca/names.js';
import type { CertRecord } from '../ca/records.js';
import type { Inventory } from '../inventory/types.js';
import { joinPermissions } from './joinPermissions.js';

/**
 * How long, and for how many messages, an agent may answer one request it received. A
 * command streams output chunks and a beat a second until it exits, all to the one reply
 * subject: so `expires` is the longest a command can run over agents, and `max` the most
 * messages (chunks, beats, start, exit) it can send. The broker keeps one small entry per
 * request an agent received until one of the two runs out; it scans them only once an
 * agent holds more than 4096, so a day is affordable.
 */
export const agentReplyLimits = { max: 1_000_000, expires: '24h' } as const;

/** The limits on an agent's replies to one request (`allow_responses`). */
export interface ReplyLimits {
  max: number;
  /** A nats-server duration: `24h`, `90s`. */
  expires: string;
}

/** nats-server subject permissions of one user, in its config's shape. */
export interface Permissions {
  publish: { allow: string[] } | { deny: string[] };
  subscribe: { allow: string[] };
  allow_responses?: ReplyLimits;
}

/** One broker user: the certificate subject nats-server maps it from (`verify_and_map`), and what it may do. */
export interface BrokerUser {
  /** The certificate's subject DN in RFC 2253 order, as nats-server spells it: `CN=web01,OU=agent,O=muster`. */
  user: string;
  kind: CertRecord['kind'];
  /** The host or operator name (the certificate's CN). */
  name: string;
  permissions: Permissions;
}

/** What `brokerUsers` can be told besides the inventory and the records. */
export interface BrokerUsersOptions {
  /** Default `agentReplyLimits`; tests lower them to show the broker enforces them. */
  replyLimits?: ReplyLimits;
}

/** The user name nats-server maps a muster certificate of this kind and name to: the CA's `userNameOf`. */
export const userFor = userNameOf;

/** A DN attribute value escaped as nats-server compares it: the CA's (ca/names.ts). */
export { distinguishedValue };

/**
 * The subjects one grant lets an operator publish to, for hosts and for roles: a module
 * (`file`: every action), a module action (`file.stat`), or `*` (everything). `command.run`
 * brings `command.stdin`, `command.cancel` and `command.alive` with it: a run that could not
 * be fed, stopped or kept alive would be a worse grant, not a smaller one.
 *
 * A whole module is `<module>.*`, never `<module>.>`: a subject is exactly
 * `muster.(agent|role).<token>.<module>.<action>`, and `ping.>` would let through
 * `….ping.command.run`, a spelling an agent that routed by the last tokens once ran.
 */
export function grantSubjects(grant: string): string[] {
  if (grant === '*') return ['muster.agent.>', 'muster.role.>'];
  const [module, action] = grant.split('.');
  const tails = action === undefined ? [`${module}.*`]
    : grant === 'command.run' ? ['command.run', 'command.stdin', 'command.cancel', 'command.alive']
      : [grant];
  return tails.flatMap((tail) => [`muster.agent.*.${tail}`, `muster.role.*.${tail}`]);
}

/** The grants of an operator: the union of its permission roles' entries, and `ping`. Unknown roles grant nothing. */
export function operatorGrants(inventory: Inventory, operator: string): string[] {
  const agents = inventory.agents;
  const roles = agents && Object.hasOwn(agents.operators, operator) ? agents.operators[operator] ?? [] : [];
  const grants = new Set<string>(['ping']);
  for (const role of roles) {
    if (!agents || !Object.hasOwn(agents.permissions, role)) continue;
    for (const grant of agents.permissions[role] ?? []) grants.add(grant);
  }
  return [...grants].sort();
}

/** The JetStream API calls that read the bucket: its info, an ordered consumer (a watch, a key listing) and its info, flow control, direct gets. */
const kvReadSubjects = [
  `$JS.API.STREAM.INFO.${kvStream}`,
  `$JS.API.CONSUMER.CREATE.${kvStream}.>`,
  `$JS.API.CONSUMER.DELETE.${kvStream}.>`,
  `$JS.API.CONSUMER.INFO.${kvStream}.>`,
  `$JS.API.STREAM.MSG.GET.${kvStream}`,
  `$JS.API.DIRECT.GET.${kvStream}.>`,
  `$JS.FC.${kvStream}.>`,
];

/** Whether an operator may publish the inventory: a grant of `*` or `inventory.publish`. */
export function mayPublishInventory(grants: readonly string[]): boolean {
  return grants.includes('*') || grants.includes('inventory.publish');
}

/** The inventory's keys as published: agents (and operators) follow them on core subscriptions (agent/bucketFollow.ts). */
const kvFollowSubjects = inventoryKeyFilters.map(kvSubject);

/**
 * The KV bucket's subjects one user may publish to and subscribe on (docs/publish.md): every
 * agent and operator reads the bucket (each on its own inbox, and the inventory's keys as
 * they are published); an agent writes only its own
 * `facts.<host>`; an operator granted `inventory.publish` (or `*`) creates the bucket and writes
 * every key. nats-server 2.9 checks each `$KV.muster.<key>` put against these, so an agent's
 * put of another host's facts or of a host record is a permissions violation.
 */
export function keyValueSubjects(kind: CertRecord['kind'], name: string, grants: readonly string[] = []): { publish: string[]; subscribe: string[] } {
  if (kind === 'agent') {
    return { publish: [...kvReadSubjects, kvSubject(factsKey(name))], subscribe: [`${agentInboxPrefix(name)}.>`, ...kvFollowSubjects] };
  }
  // `$JS.API.INFO` (the account's JetStream limits): nats.js asks it before it creates a bucket.
  const write = mayPublishInventory(grants)
    ? ['$JS.API.INFO', `$JS.API.STREAM.CREATE.${kvStream}`, `$JS.API.STREAM.UPDATE.${kvStream}`, `$JS.API.STREAM.PURGE.${kvStream}`, kvSubject('>')]
    : [];
  return { publish: [...kvReadSubjects, ...write], subscribe: kvFollowSubjects };
}

function agentPermissions(inventory: Inventory, host: string, limits: ReplyLimits): Permissions {
  const roles = inventory.hostsByName.get(host)?.roles ?? [];
  const kv = keyValueSubjects('agent', host);
  return {
    publish: { allow: kv.publish },
    subscribe: { allow: [agentWildcard(host), ...roles.map(roleWildcard), ...kv.subscribe] },
    allow_responses: { ...limits },
  };
}

function operatorPermissions(inventory: Inventory, operator: string): Permissions {
  const grants = operatorGrants(inventory, operator);
  const kv = keyValueSubjects('operator', operator, grants);
  // `inventory.publish` is the bucket's (below), not an agent module's.
  const publish = new Set(grants.filter((grant) => grant !== 'inventory.publish').flatMap(grantSubjects));
  return {
    publish: { allow: [...publish, ...kv.publish] },
    subscribe: { allow: [`${inboxPrefix(operator)}.>`, ...kv.subscribe] },
  };
}

/**
 * The broker's users: one per active record (pass `activeCertificates(index)`) that the
 * inventory still knows (agents: a host of the inventory; operators: any name, those not
 * under `agents.operators` may only ping). Sorted by user name, so the file is stable.
 */
export function brokerUsers(inventory: Inventory, records: CertRecord[], options: BrokerUsersOptions = {}): BrokerUser[] {
  const limits = options.replyLimits ?? agentReplyLimits;
  const users = new Map<string, BrokerUser>();
  for (const record of records) {
    if (record.kind === 'agent' && !inventory.hostsByName.has(record.name)) continue;
    const user = userFor(record.kind, record.name);
    const permissions = record.kind === 'agent' ? agentPermissions(inventory, record.name, limits)
      : record.kind === 'join' ? joinPermissions() : operatorPermissions(inventory, record.name);
    users.set(user, { user, kind: record.kind, name: record.name, permissions });
  }
  return [...users.values()].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/**
 * The public keys the broker accepts (`tls.pinned_certs`): sha256 of the SubjectPublicKeyInfo
 * of every record given, deduplicated and sorted. Give it only the records that became users
 * (authConfig does), so a record dropped (revoked, or its host gone from the inventory) fails
 * the TLS handshake even before its user is looked up.
 */
export function pinnedKeys(records: CertRecord[]): string[] {
  return [...new Set(records.map((record) => record.spki.toLowerCase()))].sort();
}
