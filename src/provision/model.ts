/**
 * A host's provisioning, resolved: its roles' `provision:` defaults in the order
 * the host lists them, then the host entry's own (the same precedence as vars),
 * each value remembering the section it came from so that a problem names the
 * place it was written (placeOf), not just the host.
 */
import type { SourceLocation } from '../core/errors.js';
import { placeOf } from '../inventory/sourcePosition.js';
import type { Host, Inventory, InterfaceSpec, ProfileSpec, Section } from '../inventory/types.js';

/** A value and the place it was written. */
export interface Placed<T> {
  value: T;
  at: SourceLocation;
}

/** One interface of a host to provision, its MAC in lower case (how dnsmasq and pxelinux name it). */
export interface ResolvedInterface {
  name: string;
  mac: string;
  // As InterfaceSpec, each key always present (see ResolvedProvision).
  ip: string | undefined;
  netmask: string | undefined;
  gateway: string | undefined;
  dns: string[] | undefined;
  dhcp: boolean | undefined;
  boot: boolean | undefined;
  /** Where the interface's key, its MAC and its IP were written. */
  at: SourceLocation;
  macAt: SourceLocation;
  ipAt: SourceLocation;
}

/** A host's provisioning as its roles and its own entry make it. */
export interface ResolvedProvision {
  host: Host;
  // Keys always present (undefined when not given): one object shape for every host keeps
  // checking 5,000 of them fast.
  profile: Placed<string> | undefined;
  netboot: Placed<boolean>;
  kopts: Placed<string> | undefined;
  interfaces: ResolvedInterface[];
  /** The `provision:` key of the host entry, else of the last role that has one. */
  at: SourceLocation;
}

/** A host's provisioning ready to write: valid, with a profile and the interface that boots. */
export interface ProvisionPlan extends ResolvedProvision {
  profileName: string;
  profileSpec: ProfileSpec;
  boot: ResolvedInterface;
  /** The name the host is given by DHCP and the installer: its name's first label. */
  hostname: string;
  /** The rest of its name, when it has one. */
  domain: string;
}

/**
 * The provisioning of `host`, or `undefined` when neither its entry nor any of
 * its roles has a `provision:`. `netboot` defaults to false: a host installs
 * from the network only when someone said so.
 */
export function resolveProvision(inventory: Inventory, host: Host): ResolvedProvision | undefined {
  const known = resolvedOf.get(host);
  if (known?.roles === inventory.roles) return known.resolved;
  const resolved = resolveAnew(inventory, host);
  resolvedOf.set(host, { roles: inventory.roles, resolved });
  return resolved;
}

/**
 * Each host's provisioning as last resolved, with the roles it was resolved against: hosts
 * are not changed once parsed, and an inventory read again after a one-host edit
 * (inventory/reparse.ts) keeps the other hosts and the roles object for object, so a
 * long-running serve resolves only the edited host on its next sync.
 */
const resolvedOf = new WeakMap<Host, { roles: Inventory['roles']; resolved: ResolvedProvision | undefined }>();

function resolveAnew(inventory: Inventory, host: Host): ResolvedProvision | undefined {
  const layers: Section<{ profile?: string; netboot?: boolean; kopts?: string }>[] = [];
  for (const role of host.roles) {
    const section = inventory.roles.get(role)?.provision;
    if (section) layers.push(section);
  }
  if (host.provision) layers.push(host.provision);
  const last = layers[layers.length - 1];
  if (!last) return undefined;
  const pick = <K extends 'profile' | 'netboot' | 'kopts'>(key: K): Placed<NonNullable<typeof last.value[K]>> | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i] as (typeof layers)[number];
      const value = layer.value[key];
      if (value !== undefined) return { value: value as NonNullable<typeof last.value[K]>, at: placeOf(layer, [key]) };
    }
    return undefined;
  };
  return {
    host,
    profile: pick('profile'),
    netboot: pick('netboot') ?? { value: false, at: last.at },
    kopts: pick('kopts'),
    interfaces: interfacesOf(host.provision),
    at: last.at,
  };
}

function interfacesOf(section: Section<{ interfaces?: Record<string, InterfaceSpec> }> | undefined): ResolvedInterface[] {
  if (!section?.value.interfaces) return [];
  return Object.entries(section.value.interfaces).map(([name, spec]) => {
    const at = placeOf(section, ['interfaces', name]);
    const key = `interfaces\0${name}\0`;
    return {
      name,
      mac: spec.mac.toLowerCase(),
      ip: spec.ip,
      netmask: spec.netmask,
      gateway: spec.gateway,
      dns: spec.dns,
      dhcp: spec.dhcp,
      boot: spec.boot,
      at,
      // placeOf's answer for the two keys below the interface, without its array and join per key.
      macAt: section.places[`${key}mac`] ?? at,
      ipAt: section.places[`${key}ip`] ?? at,
    };
  });
}

/** The interface that network-boots: the one marked `boot: true`, else the first. */
export function bootInterface(interfaces: readonly ResolvedInterface[]): ResolvedInterface | undefined {
  return interfaces.find((i) => i.boot === true) ?? interfaces[0];
}

/** `52:54:00:ab:cd:ef` → `01-52-54-00-ab-cd-ef`: how pxelinux and GRUB name a client's file (01 = Ethernet). */
export function macFileName(mac: string): string {
  return `01-${mac.toLowerCase().replaceAll(':', '-')}`;
}
