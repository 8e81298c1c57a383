/**
 * What the output folder should hold, computed without touching it: dnsmasq's
 * config and reservations, the shared and per-host boot menus, each host's
 * installer files, and the loaders and kernels to copy. Only hosts whose
 * netboot is on get boot menus and installer files; every valid host keeps its
 * reservation.
 */
import type { Problem } from '../core/errors.js';
import type { Inventory } from '../inventory/types.js';
import { bootMenuCount, bootMenus, sharedBootFiles } from './bootConfigs.js';
import { dhcpHosts, dhcpHostsPath, dnsmasqConf, dnsmasqConfPath } from './dnsmasq.js';
import { Fingerprints } from './fingerprint.js';
import type { ProvisionKeys } from './hostKey.js';
import { enrollsAgents, installerFileNames, installerFilesOf, templateCache } from './installer.js';
import { copiedFiles, type CopiedFile } from './loaders.js';
import type { HostFiles } from './manifest.js';
import type { ProvisionPlan } from './model.js';
import { checkProvision } from './validate.js';

/** How to build the tree. */
export interface TreeOptions {
  /** The output folder, absolute: dnsmasq's config names its files by absolute path. */
  dir: string;
  /** muster serve's base URL as the installers reach it (`http://10.0.0.1:8080`): the kernel line then says where the answer file is. */
  url?: string;
  /** Each host's key for its URLs, from muster serve's token (hostKey.ts): needed when serve has `--token-file`. */
  keys?: ProvisionKeys;
  /** Where profiles' kernel/initrd paths are found (default: Debian's d-i netboot tree). */
  bootFiles?: string;
  /** Dynamic DHCP ranges for `dhcp: true` interfaces. */
  dhcpRanges?: string[];
  /** Each host's fingerprint from the last sync's manifest (fingerprint.ts): a host whose fingerprint is the same keeps its files unread. */
  previous?: ReadonlyMap<string, { fingerprint: string }>;
}

/** The folder's wanted content by path relative to it. */
export interface ProvisionTree {
  texts: Map<string, string>;
  copies: Map<string, CopiedFile>;
  /** The files of no one host (dnsmasq's, the shared menus, the loaders). */
  shared: string[];
  /** Each netboot host's files; those of a host whose fingerprint did not change (`kept`) are neither made nor compared. */
  hosts: Map<string, HostFiles>;
  plans: ProvisionPlan[];
  problems: Problem[];
}

/** Builds the tree; `problems` lists everything wrong in one pass (nothing should be written when it is not empty). */
export function buildTree(inventory: Inventory, options: TreeOptions): ProvisionTree {
  const checked = checkProvision(inventory);
  const problems = [...checked.problems];
  const texts = new Map<string, string>();
  const { plans } = checked;
  texts.set(dnsmasqConfPath, dnsmasqConf(plans, { dir: options.dir, ...(options.dhcpRanges ? { dhcpRanges: options.dhcpRanges } : {}) }));
  texts.set(dhcpHostsPath, dhcpHosts(plans));
  for (const file of sharedBootFiles()) texts.set(file.path, file.text);
  const cache = templateCache(inventory);
  const fingerprinter = new Fingerprints(cache, options.url, enrollsAgents(inventory.agents), options.keys?.id);
  const shared = [...texts.keys()];
  const hosts = new Map<string, HostFiles>();
  const used = new Set<string>();
  for (const plan of plans) {
    if (!plan.netboot.value) continue;
    used.add(plan.profileName);
    const installerPath = (name: string): string => `installer/${plan.host.name}/${name}`;
    const fingerprint = fingerprinter.of(plan);
    if (fingerprint !== undefined && options.previous?.get(plan.host.name)?.fingerprint === fingerprint) {
      hosts.set(plan.host.name, { kept: true, fingerprint, count: bootMenuCount + installerFileNames(plan).length });
      continue;
    }
    const files: HostFiles & { kept: false } = { kept: false, fingerprint, paths: [] };
    hosts.set(plan.host.name, files);
    for (const menu of bootMenus(plan, options.url, options.keys)) {
      texts.set(menu.path, menu.text);
      files.paths.push(menu.path);
    }
    const installer = installerFilesOf(inventory, plan, options.url, cache, options.keys);
    problems.push(...installer.problems);
    for (const file of installer.files) {
      texts.set(installerPath(file.name), file.text);
      files.paths.push(installerPath(file.name));
    }
  }
  const copied = copiedFiles(inventory, used, options.bootFiles);
  problems.push(...copied.problems);
  shared.push(...copied.files.keys());
  return { texts, copies: copied.files, shared, hosts, plans, problems };
}
