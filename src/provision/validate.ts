/**
 * Every provisioning problem of an inventory in one pass, each at the place it
 * was written: unknown profiles, impossible combinations, and a MAC, IP or
 * hostname claimed twice across all hosts and interfaces (the inventory
 * `address` of a host counts as an IP), the duplicate named both ways, as
 * Cobbler refused a system whose IP another had.
 */
import { isIPv4 } from 'node:net';
import { formatLocation, type Problem, type SourceLocation } from '../core/errors.js';
import type { Inventory } from '../inventory/types.js';
import { bootInterface, resolveProvision, type ProvisionPlan, type ResolvedProvision } from './model.js';

/** The hosts ready to provision and everything wrong, in file order. */
export interface ProvisionCheck {
  /** Every host with a `provision:` (its own or a role's), valid or not. */
  resolved: ResolvedProvision[];
  /** The valid ones that have a profile and an interface (netboot on or off). */
  plans: ProvisionPlan[];
  problems: Problem[];
}

interface Claim {
  host: string;
  /** What claims it, for messages: `eth0`, `address`, `hostname`. */
  what: string;
  at: SourceLocation;
  /** Claims by the inventory address alone do not make a duplicate with each other (a lab shares 127.0.0.1). */
  provisioned: boolean;
}

/** Checks the provisioning of every host of `inventory`. */
export function checkProvision(inventory: Inventory): ProvisionCheck {
  const problems: Problem[] = [];
  const resolved: ResolvedProvision[] = [];
  const plans: ProvisionPlan[] = [];
  const macs = new Map<string, Claim | Claim[]>();
  const ips = new Map<string, Claim | Claim[]>();
  const names = new Map<string, Claim | Claim[]>();
  // One claim is kept as itself, a list made only for the second (5,000 hosts' claims are 20,000).
  const claim = (map: Map<string, Claim | Claim[]>, key: string, c: Claim): void => {
    const held = map.get(key);
    if (held === undefined) map.set(key, c);
    else if (Array.isArray(held)) held.push(c);
    else map.set(key, [held, c]);
  };
  const profiles = inventory.profiles?.value ?? {};
  const profileNames = Object.keys(profiles);

  for (const host of inventory.hosts) {
    const p = resolveProvision(inventory, host);
    if (!p) {
      if (isIPv4(host.address)) claim(ips, host.address, { host: host.name, what: 'address', at: host.provenance.address?.at ?? host.definedAt, provisioned: false });
      continue;
    }
    const before = problems.length;
    const say = (at: SourceLocation, message: string): void => { problems.push({ message: `${host.name}: ${message}`, at }); };
    const own = new Set<string>();
    let firstBoot: (typeof p.interfaces)[number] | undefined;
    for (const i of p.interfaces) {
      claim(macs, i.mac, { host: host.name, what: i.name, at: i.macAt, provisioned: true });
      if (i.dhcp === true && i.ip !== undefined) say(i.ipAt, `interface ${i.name} has both "dhcp: true" and an ip; give one`);
      else if (i.dhcp !== true && i.ip === undefined) say(i.at, `interface ${i.name} has neither an ip nor "dhcp: true"`);
      if (i.ip !== undefined) {
        own.add(i.ip);
        claim(ips, i.ip, { host: host.name, what: i.name, at: i.ipAt, provisioned: true });
      }
      if (i.boot === true) {
        if (firstBoot) say(i.at, `two boot interfaces: ${i.name} and ${firstBoot.name} (at ${formatLocation(firstBoot.at)}); mark one "boot: true"`);
        else firstBoot = i;
      }
    }
    // The host's own address may be one of its interfaces' IPs: that is one claim, not two.
    if (isIPv4(host.address) && !own.has(host.address)) claim(ips, host.address, { host: host.name, what: 'address', at: host.provenance.address?.at ?? host.definedAt, provisioned: true });
    const dot = host.name.indexOf('.');
    const hostname = dot < 0 ? host.name : host.name.slice(0, dot);
    claim(names, hostname, { host: host.name, what: 'hostname', at: host.definedAt, provisioned: true });

    const profileName = p.profile?.value;
    const profileSpec = profileName === undefined ? undefined : Object.hasOwn(profiles, profileName) ? profiles[profileName] : undefined;
    if (p.profile && !profileSpec) {
      say(p.profile.at, `unknown profile "${p.profile.value}" (${profileNames.length > 0 ? `profiles: ${profileNames.join(', ')}` : 'the inventory has no profiles:'})`);
    }
    if (p.netboot.value) {
      if (p.interfaces.length === 0) say(p.netboot.at, 'netboot is on but the host has no interface (provision: interfaces: NAME: {mac: …})');
      if (!p.profile) say(p.netboot.at, 'netboot is on but no profile is given (provision: profile: NAME, on the host or a role)');
    }
    const boot = bootInterface(p.interfaces);
    if (problems.length === before && profileSpec && boot && profileName !== undefined) {
      const plan = { host, profile: p.profile, netboot: p.netboot, kopts: p.kopts, interfaces: p.interfaces, at: p.at, profileName, profileSpec, boot, hostname, domain: dot < 0 ? '' : host.name.slice(dot + 1) };
      plans.push(plan);
      resolved.push(plan);
    } else resolved.push(p);
  }
  duplicates(macs, 'MAC', problems);
  duplicates(ips, 'IP', problems);
  duplicates(names, 'hostname', problems);
  problems.sort(byPlace);
  const bad = new Set(problems.map((problem) => problem.message.split(':')[0]));
  return { resolved, plans: plans.filter((plan) => !bad.has(plan.host.name)), problems };
}

/** Each later claim names the first, and the first names the second: a duplicate is said at both places. */
function duplicates(map: Map<string, Claim | Claim[]>, kind: string, problems: Problem[]): void {
  for (const [key, claims] of map) {
    if (!Array.isArray(claims) || !claims.some((c) => c.provisioned)) continue;
    const first = claims[0] as Claim;
    const others = claims.slice(1).filter((c) => c.host !== first.host || c.what !== first.what);
    if (others.length === 0) continue;
    const label = (c: Claim): string => (c.what === 'hostname' ? c.host : `${c.host} ${c.what === 'address' ? 'address' : `interface ${c.what}`}`);
    const also = others.length > 1 ? ` and ${others.length - 1} more` : '';
    const second = others[0] as Claim;
    problems.push({ message: `${first.host}: duplicate ${kind} ${key}: also ${label(second)} at ${formatLocation(second.at)}${also}`, at: first.at });
    for (const c of others) problems.push({ message: `${c.host}: duplicate ${kind} ${key}: also ${label(first)} at ${formatLocation(first.at)}`, at: c.at });
  }
}

function byPlace(a: Problem, b: Problem): number {
  const x = a.at;
  const y = b.at;
  if (!x || !y) return x ? -1 : y ? 1 : 0;
  return x.file === y.file ? x.line - y.line || x.col - y.col : x.file < y.file ? -1 : 1;
}
