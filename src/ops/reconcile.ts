/**
 * The inventory checked against what the hosts say: `muster reconcile` lists each host whose
 * facts contradict its inventory entry. Pure: the caller gathers the facts (SSH now, the
 * agents' bucket, or the agents asked now) and resolves name addresses; this says what
 * disagrees, by these rules:
 *
 * - **address**: the inventory address must be one of the host's addresses — equal to one
 *   (IPv6 compared in canonical form), or inside the network of an address on the loopback
 *   interface (Linux answers for all of 127.0.0.0/8 on `lo`). A name address is checked
 *   through what it resolves to (any one on the host will do); one that does not resolve is
 *   a finding. A host whose facts list no address is not checked (say so: no `ip` there).
 * - **hostname**: compared without case; when both the inventory name and the host's
 *   hostname have dots, they must be equal whole (`web01.dc1` is not `web01.dc2`); when either
 *   is a short name, only the first labels are compared (`web01` is `web01.example.lan`).
 * - **answers**: a host whose state is in `skip_states` (`stop`) must not answer: gathered now
 *   over SSH or from its agent, or published within `maxUnseenMs`, is a finding.
 * - **unseen**: any other host must answer: unreachable now (over SSH or its agent), or its
 *   agent's facts older than `maxUnseenMs` (or none at all in the bucket), is a finding.
 */
import { isIP } from 'node:net';
import type { Host } from '../inventory/types.js';

/** What was learnt of one host: its facts when it gave some, and whether it answered. */
export interface Observed {
  host: Host;
  /** The facts (`facts.get`'s shape); undefined when none came. */
  facts?: Record<string, unknown> | undefined;
  /** When the host last said its facts (ISO 8601). */
  seenAt?: string | undefined;
  /** Asked now (SSH, or its agent): whether it answered, and why not. Undefined for facts read from the bucket. */
  answered?: { ok: true } | { ok: false; why: string } | undefined;
  /** What a name address resolves to (`address` when it is an IP; undefined when it does not resolve). */
  resolved?: string[] | undefined;
}

export type FindingKind = 'address' | 'hostname' | 'answers' | 'unseen';

/** One contradiction. */
export interface Finding {
  kind: FindingKind;
  message: string;
}

/** One host's findings (none: it agrees with the inventory). */
export interface Reconciled {
  host: string;
  state: string;
  address: string;
  findings: Finding[];
}

/** The rules' inputs besides the hosts. */
export interface ReconcileOptions {
  skipStates: readonly string[];
  maxUnseenMs: number;
  now: Date;
}

/** Each host's findings, in the order given. */
export function reconcile(observed: readonly Observed[], options: ReconcileOptions): Reconciled[] {
  const skip = new Set(options.skipStates);
  return observed.map((seen) => {
    const findings: Finding[] = [];
    const facts = seen.facts;
    if (facts) {
      const address = addressFinding(seen);
      if (address) findings.push(address);
      const hostname = typeof facts['hostname'] === 'string' ? facts['hostname'] : undefined;
      if (hostname !== undefined && !sameHostName(seen.host.name, hostname)) {
        // Asked now at its address: what answered there is another host (or the host is misnamed).
        findings.push({ kind: 'hostname', message: seen.answered ? `its address ${seen.host.address} reaches a host named ${hostname}, not ${seen.host.name}` : `its hostname is ${hostname}, not ${seen.host.name}` });
      }
    }
    const age = seen.seenAt === undefined ? undefined : options.now.getTime() - Date.parse(seen.seenAt);
    const recent = age !== undefined && age <= options.maxUnseenMs;
    const answers = seen.answered ? seen.answered.ok : recent;
    if (skip.has(seen.host.state)) {
      if (answers) findings.push({ kind: 'answers', message: `state ${seen.host.state}, but it answers${seen.answered ? '' : ` (seen ${ago(age ?? 0)} ago)`}` });
    } else if (seen.answered && !seen.answered.ok) {
      findings.push({ kind: 'unseen', message: `state ${seen.host.state}, but unreachable now: ${seen.answered.why}` });
    } else if (!seen.answered && !recent) {
      findings.push({ kind: 'unseen', message: age === undefined ? `state ${seen.host.state}, but its agent has published no facts` : `state ${seen.host.state}, but not seen for ${ago(age)} (more than ${ago(options.maxUnseenMs)})` });
    }
    return { host: seen.host.name, state: seen.host.state, address: seen.host.address, findings };
  });
}

/** The address rule (see the file header); undefined when the address is on the host or cannot be checked. */
function addressFinding(seen: Observed): Finding | undefined {
  const list = Array.isArray(seen.facts?.['addresses']) ? (seen.facts['addresses'] as unknown[]) : [];
  const addresses = list.flatMap((entry) => {
    const { address, cidr, interface: name } = (entry ?? {}) as { address?: unknown; cidr?: unknown; interface?: unknown };
    return typeof address === 'string' ? [{ address, cidr: typeof cidr === 'string' ? cidr : address, name: typeof name === 'string' ? name : '' }] : [];
  });
  if (addresses.length === 0) return undefined;
  const { address } = seen.host;
  if (seen.resolved === undefined) return { kind: 'address', message: `its address ${address} does not resolve` };
  const on = seen.resolved.some((ip) => addresses.some((entry) => sameIp(entry.address, ip) || (isLoopback(entry) && inNetwork(ip, entry.cidr))));
  if (on) return undefined;
  const shown = addresses.filter((entry) => !isLoopback(entry)).map((entry) => entry.address);
  const via = seen.resolved.length === 1 && seen.resolved[0] === address ? '' : ` (${seen.resolved.join(', ')})`;
  return { kind: 'address', message: `its address ${address}${via} is not on the host (it has ${shown.length > 0 ? shown.join(', ') : 'only loopback addresses'})` };
}

function isLoopback(entry: { address: string; name: string }): boolean {
  return entry.name === 'lo' || entry.address.startsWith('127.') || entry.address === '::1';
}

/** The `hostname` rule (see the file header). */
export function sameHostName(inventoryName: string, hostname: string): boolean {
  const a = inventoryName.toLowerCase().replace(/\.$/, '');
  const b = hostname.toLowerCase().replace(/\.$/, '');
  if (a === b) return true;
  if (a.includes('.') && b.includes('.')) return false;
  return a.split('.')[0] === b.split('.')[0];
}

/** The bytes of an IP address (4 or 16), or undefined for anything else. */
function ipBytes(ip: string): number[] | undefined {
  const kind = isIP(ip);
  if (kind === 4) return ip.split('.').map(Number);
  if (kind !== 6) return undefined;
  const [head = '', tail] = ip.split('::');
  const part = (text: string): number[] => (text === '' ? [] : text.split(':').flatMap((group) => (group.includes('.') ? ipBytes(group) ?? [] : [parseInt(group, 16) >> 8, parseInt(group, 16) & 255])));
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  return [...front, ...new Array<number>(16 - front.length - back.length).fill(0), ...back];
}

function sameIp(a: string, b: string): boolean {
  const x = ipBytes(a);
  const y = ipBytes(b);
  return x !== undefined && y !== undefined && x.length === y.length && x.every((byte, at) => byte === y[at]);
}

/** Whether `ip` is inside `cidr` (same family, same first prefix bits). */
function inNetwork(ip: string, cidr: string): boolean {
  const [base = '', bits = ''] = cidr.split('/');
  const x = ipBytes(ip);
  const y = ipBytes(base);
  const prefix = Number(bits);
  if (!x || !y || x.length !== y.length || !Number.isInteger(prefix)) return false;
  for (let bit = 0; bit < prefix; bit += 1) {
    const mask = 0x80 >> (bit % 8);
    if (((x[bit >> 3] ?? 0) & mask) !== ((y[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

/** A duration for people: `40s`, `12m`, `3h05m`, `2d4h`. */
function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}
