/**
 * The shapes of a loaded inventory. Everything muster derives (bindings, fan-out
 * targets, generated configs, the metadata server) reads the fleet through these.
 */
import type { SourceLocation } from '../core/errors.js';

/** A variable's value, as YAML can write it. */
export type VarValue = string | number | boolean | null | VarValue[] | { [key: string]: VarValue };

/** Where a resolved value came from: the layer that won, and the file:line:col of its key. */
export interface Provenance {
  layer: 'defaults' | 'host' | `role:${string}`;
  at: SourceLocation;
}

/** One host, fully resolved: precedence applied, patterns expanded. */
export interface Host {
  name: string;
  /** What to connect to: the inventory's `address`, else the name. */
  address: string;
  /** Login user, if the inventory sets one (else ssh_config, else the current user). */
  user?: string;
  /** SSH port, if the inventory sets one (else ssh_config, else 22). */
  port?: number;
  roles: string[];
  state: string;
  note?: string;
  /** Resolved vars: defaults.vars < each role's vars in the order listed < host vars. */
  vars: Record<string, VarValue>;
  /** For each key of `vars`, and for `address`, `user`, `port`, `state`, `note`: where it came from. */
  provenance: Record<string, Provenance>;
  /** The host entry (or pattern) that made this host. */
  definedAt: SourceLocation;
  /** The files this host entry itself declares (`files:`); its roles' are on each Role. Shared by the hosts of a pattern. */
  files?: Section<Record<string, ManagedFileSpec>>;
  /** The host entry's own `provision:` (roles' defaults are on each Role). Shared by the hosts of a pattern. */
  provision?: Section<HostProvisionSpec>;
}

/**
 * A nested section of the inventory kept as written, with the place of every
 * key under it, so that what reads it later (managed files, provisioning) can
 * name file:line:col after the YAML nodes are gone. `places` is keyed by the
 * key path below the section joined with "\0" (`placeOf` in sourcePosition.ts reads it).
 */
export interface Section<T> {
  value: T;
  /** The place of the section's own key (`files:`, `provision:`, `profiles:`). */
  at: SourceLocation;
  places: Record<string, SourceLocation>;
}

/** One managed file as a role or host declares it under `files:` (docs/files.md). */
export interface ManagedFileSpec {
  /** The file (or, for a folder, the folder) in the repository, relative to the inventory's root; absent with `absent: true`. */
  src?: string;
  /** Octal, as a string: "0644". */
  mode?: string;
  /** `user` or `user:group`. */
  owner?: string;
  /** Render `src` with the host's vars (the engine of `muster render`). */
  template?: boolean;
  /** Run on the host with the new file in place; a failure rolls the host's files back. `{}` is the file's path. */
  test?: string;
  /** Run on the host after the files are in place and tested (a reload). */
  then?: string;
  /** The file must not exist. */
  absent?: boolean;
}

/** One network interface of a host to provision. */
export interface InterfaceSpec {
  mac: string;
  ip?: string;
  netmask?: string;
  gateway?: string;
  dns?: string[];
  /** Address by DHCP (dynamic) instead of the fixed `ip`. */
  dhcp?: boolean;
  /** This interface network-boots (at most one per host; the first when none says so). */
  boot?: boolean;
}

/** What a role gives as defaults for the provisioning of its hosts. */
export interface ProvisionDefaults {
  /** A name under `profiles:`. */
  profile?: string;
  /** Whether the host boots the installer from the network; false once installed. */
  netboot?: boolean;
  /** Extra kernel options for the installer. */
  kopts?: string;
}

/** A host's `provision:`: the role defaults, overridden, plus its interfaces. */
export interface HostProvisionSpec extends ProvisionDefaults {
  interfaces?: Record<string, InterfaceSpec>;
}

/** An install profile under `profiles:` (docs/provision.md). */
export interface ProfileSpec {
  distro?: string;
  /** Kernel and initrd, relative to the TFTP root. */
  kernel: string;
  initrd: string;
  /** Kernel options for every host of the profile. */
  options?: string;
  /** The installer answer file, a template relative to the inventory's root. */
  installer?: { kind: 'preseed' | 'kickstart' | 'cloud-init'; template: string };
}

/** A role as declared under `roles:`. */
export interface Role {
  name: string;
  description?: string;
  vars: Record<string, VarValue>;
  definedAt: SourceLocation;
  /** The files the role owns (`files:`). */
  files?: Section<Record<string, ManagedFileSpec>>;
  /** Provisioning defaults for the role's hosts. */
  provision?: Section<ProvisionDefaults>;
}

/** A named selector declared under `groups:`. */
export interface Group {
  name: string;
  selector: string;
  definedAt: SourceLocation;
}

/**
 * A check of the monitoring model (`checks:` in the inventory). It applies to the
 * hosts its `on` selector picks (every host when absent). A host can drop it or
 * replace its command with the host var `checks: { NAME: false | "command" }`.
 */
export interface Check {
  name: string;
  /** The check command; a template rendered per host (it may use the host's vars). */
  command: string;
  /** A selector; `all` when the inventory gives none. */
  on: string;
  description?: string;
  definedAt: SourceLocation;
}

/** A loaded, validated inventory. */
export interface Inventory {
  /** Absolute paths of the files it was read from, in load order. */
  files: string[];
  /** States in declared order; the first is the default. */
  states: string[];
  /** States left out of role/group/all selections unless named host by host. */
  skipStates: string[];
  /** Every host, in file order. */
  hosts: Host[];
  hostsByName: Map<string, Host>;
  roles: Map<string, Role>;
  groups: Map<string, Group>;
  /** The monitoring model, in declared order. */
  checks: Map<string, Check>;
  /** Absolute path of the inventory's `ssh_config` file, if it names one. */
  sshConfig?: string;
  /** The `agents` section (docs/agents.md), `state` made absolute; absent when the inventory has none. */
  agents?: AgentsSettings;
  /** Install profiles (`profiles:`), absent when the inventory has none. */
  profiles?: Section<Record<string, ProfileSpec>>;
}

/** How agents, brokers and operators are set up (the inventory's `agents` section). */
export interface AgentsSettings {
  /** Broker URLs, `tls://host:port`. */
  servers: string[];
  /** Absolute path of the state folder, when the inventory names one. */
  state?: string;
  /** Operator name -> its permission roles. */
  operators: Record<string, string[]>;
  /** Permission role -> modules (`file`), module actions (`file.stat`) or `*`. */
  permissions: Record<string, string[]>;
  /** A selector of hosts whose CSRs, fetched over SSH from their inventory address, are signed at once. */
  autosign?: string;
}

/** The result of a selection: the hosts chosen, and those dropped for their state. */
export interface Selection {
  hosts: Host[];
  /** Hosts that matched but were left out because their state is in `skip_states`. */
  skipped: Host[];
}
