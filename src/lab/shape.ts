/**
 * Whether a lab that is already up is the lab asked for: same host names, same
 * roles on them, same agents. Pure. Making a lab anew removes its hosts and every
 * file written on them, so labUp refuses to do it for a mere difference of shape
 * unless told to (`recreate`); this says what differs, in words.
 */
import { planHosts, type PlannedHost, type RoleShare } from './plan.js';
import type { LabState } from './state.js';

/** The shape asked for: what `lab up` was given. */
export interface WantedShape {
  count: number;
  prefix: string;
  roles: RoleShare[];
  /** Brokers with agents; undefined for a lab without agents. */
  brokers: number | undefined;
}

/** `web:2,db:1` for the roles of a lab's hosts, in their order; `no roles` when none has one. */
export function describeRoles(hosts: readonly PlannedHost[]): string {
  const counts = new Map<string, number>();
  for (const host of hosts) for (const role of host.roles) counts.set(role, (counts.get(role) ?? 0) + 1);
  return counts.size === 0 ? 'no roles' : [...counts].map(([role, count]) => `${role}:${count}`).join(',');
}

function describeAgents(brokers: number | undefined): string {
  if (brokers === undefined) return 'no agents';
  return `agents with ${brokers} broker${brokers === 1 ? '' : 's'}`;
}

/**
 * What differs between the lab that is up and the one asked for, one phrase per
 * difference (`roles web:20,db:20 (asked: no roles)`); empty when they are the same.
 * Roles are compared by the hosts they give, so `web,db` and `web:2,db:2` on 4 hosts agree.
 */
export function shapeDifferences(existing: LabState, wanted: WantedShape): string[] {
  const differences: string[] = [];
  if (existing.count !== wanted.count) differences.push(`${existing.count} hosts (asked: ${wanted.count})`);
  if (existing.prefix !== wanted.prefix) differences.push(`prefix ${existing.prefix} (asked: ${wanted.prefix})`);
  const had = describeRoles(existing.hosts);
  const asked = describeRoles(planHosts({ prefix: wanted.prefix, count: wanted.count, roles: wanted.roles, net: existing.net }));
  if (had !== asked) differences.push(`roles ${had} (asked: ${asked})`);
  const brokers = existing.agents?.servers.length;
  if (brokers !== wanted.brokers) differences.push(`${describeAgents(brokers)} (asked: ${describeAgents(wanted.brokers)})`);
  return differences;
}
