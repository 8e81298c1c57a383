/**
 * What the output folder should hold, computed without touching it: dnsmasq's
 * config and reservations, the shared and per-host boot menus, each host's
 * installer files, and the loaders and kernels to copy. Only hosts whose
 * netboot is on get boot menus and installer files; every valid host keeps its
 * reservation.
 */
import type { Problem } from '../core/errors.js';
import type { Inventory } from '../inventory/types.js';
import { grubConfig, ipxeScript, pxelinuxConfig, sharedBootFiles } from './bootConfigs.js';
import { dhcpHosts, dhcpHostsPath, dnsmasqConf, dnsmasqConfPath } from './dnsmasq.js';
import { installerFilesOf, templateCache } from './installer.js';
import { copiedFiles, type CopiedFile } from './loaders.js';
import type { ProvisionPlan } from './model.js';
import { checkProvision } from './validate.js';

/** How to build the tree. */
export interface TreeOptions {
  /** The output folder, absolute: dnsmasq's config names its files by absolute path. */
  dir: string;
  /** muster serve's base URL as the installers reach it (`http://10.0.0.1:8080`): the kernel line then says where the answer file is. */
  url?: string;
  /** Where profiles' kernel/initrd paths are found (default: Debian's d-i netboot tree). */
  bootFiles?: string;
  /** Dynamic DHCP ranges for `dhcp: true` interfaces. */
  dhcpRanges?: string[];
}

/** The folder's wanted content by path relative to it. */
export interface ProvisionTree {
  texts: Map<string, string>;
  copies: Map<string, CopiedFile>;
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
  const used = new Set<string>();
  for (const plan of plans) {
    if (!plan.netboot.value) continue;
    used.add(plan.profileName);
    for (const file of [pxelinuxConfig(plan, options.url), grubConfig(plan, options.url), ipxeScript(plan, options.url)]) texts.set(file.path, file.text);
    const installer = installerFilesOf(inventory, plan, options.url, cache);
    problems.push(...installer.problems);
    for (const file of installer.files) texts.set(`installer/${plan.host.name}/${file.name}`, file.text);
  }
  const copied = copiedFiles(inventory, used, options.bootFiles);
  problems.push(...copied.problems);
  return { texts, copies: copied.files, plans, problems };
}
