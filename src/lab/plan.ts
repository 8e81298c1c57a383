/**
 * What a lab will be, decided before anything starts: host names, addresses,
 * roles and vars. Pure, so the layout rules are tested without root.
 *
 * Layout rules:
 * - Names are PREFIX + a zero-padded number, at least two digits: lab01…lab20, lab001…lab100.
 * - Every lab owns one 127.NET.0.0/16 block; host i (0-based) gets 127.NET.(i div 254).(i mod 254 + 1).
 * - Roles go out in contiguous blocks, in the order given: `web:10,db:5` gives exactly
 *   those counts (hosts beyond their sum get no role); `web,db,cache` splits the hosts as
 *   evenly as possible, earlier roles taking the extra host; roles with and without
 *   counts mix (the uncounted share what the counted leave).
 * - Each role block (or the whole lab without roles) is cut in two halves: the first
 *   half gets `dc: dc1`, the second `dc: dc2`, so `web&dc=dc1` picks something.
 */
import { OptionError } from '../core/errors.js';

/** One entry of `--roles`: a role and, optionally, how many hosts it gets. */
export interface RoleShare {
  role: string;
  count?: number;
}

/** One planned host. */
export interface PlannedHost {
  name: string;
  address: string;
  roles: string[];
  vars: { dc: string };
}

const roleName = /^[a-z][a-z0-9_-]*$/;

/** Parses `web,db,cache` or `web:10,db:5` (spaces allowed); throws OptionError (a UsageError) on anything else. */
export function parseRoles(text: string): RoleShare[] {
  const shares: RoleShare[] = [];
  for (const part of text.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const match = /^([^:]+)(?::(\d+))?$/.exec(part);
    const role = match?.[1]?.trim() ?? '';
    if (!match || !roleName.test(role)) {
      throw new OptionError('roles', (name) => `Invalid ${name('roles')} entry "${part}": expected ROLE or ROLE:COUNT, a role being lower-case letters, digits, - and _`);
    }
    if (shares.some((share) => share.role === role)) throw new OptionError('roles', (name) => `Invalid ${name('roles')}: role "${role}" is named twice`);
    shares.push(match[2] === undefined ? { role } : { role, count: Number(match[2]) });
  }
  return shares;
}

/** How many hosts a lab has when only role counts are given: their sum. */
export function countFromRoles(shares: RoleShare[]): number | undefined {
  if (shares.length === 0 || shares.some((share) => share.count === undefined)) return undefined;
  return shares.reduce((sum, share) => sum + (share.count ?? 0), 0);
}

/** The role of each host index, following the block rules above. */
function assignRoles(count: number, shares: RoleShare[]): (string | undefined)[] {
  const counted = shares.reduce((sum, share) => sum + (share.count ?? 0), 0);
  if (counted > count) throw new OptionError('roles', (name) => `${name('roles')} asks for ${counted} hosts but the lab has ${count}`);
  const uncounted = shares.filter((share) => share.count === undefined);
  const rest = count - counted;
  const result: (string | undefined)[] = [];
  let uncountedIndex = 0;
  for (const share of shares) {
    let size = share.count;
    if (size === undefined) {
      size = Math.floor(rest / uncounted.length) + (uncountedIndex < rest % uncounted.length ? 1 : 0);
      uncountedIndex += 1;
    }
    for (let index = 0; index < size; index += 1) result.push(share.role);
  }
  while (result.length < count) result.push(undefined);
  return result;
}

/** The address of host `index` (0-based) in the block 127.NET.0.0/16. */
export function hostAddress(net: number, index: number): string {
  return `127.${net}.${Math.floor(index / 254)}.${(index % 254) + 1}`;
}

/** The name of host `index` (0-based) in a lab of `count` hosts. */
export function hostName(prefix: string, count: number, index: number): string {
  const width = Math.max(2, String(count).length);
  return `${prefix}${String(index + 1).padStart(width, '0')}`;
}

/** Most hosts one lab can have: one /16 of loopback addresses. */
export const maxLabHosts = 254 * 256;

/** Plans every host of a lab of `count` hosts in the address block 127.NET.0.0/16. */
export function planHosts(options: { prefix: string; count: number; roles: RoleShare[]; net: number }): PlannedHost[] {
  const { prefix, count, roles, net } = options;
  const assigned = assignRoles(count, roles);
  const hosts: PlannedHost[] = [];
  let blockStart = 0;
  while (blockStart < count) {
    let blockEnd = blockStart;
    while (blockEnd < count && assigned[blockEnd] === assigned[blockStart]) blockEnd += 1;
    const half = blockStart + Math.ceil((blockEnd - blockStart) / 2);
    for (let index = blockStart; index < blockEnd; index += 1) {
      const role = assigned[index];
      hosts.push({
        name: hostName(prefix, count, index),
        address: hostAddress(net, index),
        roles: role === undefined ? [] : [role],
        vars: { dc: index < half ? 'dc1' : 'dc2' },
      });
    }
    blockStart = blockEnd;
  }
  return hosts;
}
