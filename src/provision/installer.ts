/**
 * The installer's answer file for a host (preseed, kickstart or cloud-init
 * user-data), rendered from its profile's template by the engine of
 * `muster render`, as strictly: an undefined variable is an error at the
 * template's file:line:col. The template sees the host as `muster render
 * --each-host` does, plus `provision` (interfaces, hostname, URLs).
 */
import { isAbsolute, resolve } from 'node:path';
import { InvalidFileError, MusterError, type Problem } from '../core/errors.js';
import { inventoryRoot } from '../inventory/managedFiles.js';
import { placeOf } from '../inventory/sourcePosition.js';
import type { Inventory } from '../inventory/types.js';
import { hostTemplateContext, readTemplateFile, renderTemplate } from '../render/engine.js';
import { withValues } from '../render/context.js';
import { hostUrl, installerFiles } from './bootConfigs.js';
import type { ProvisionKeys } from './hostKey.js';
import type { ProvisionPlan, ResolvedInterface } from './model.js';

/** One rendered file: its name under the host's folder and its text. */
export interface InstallerFile {
  name: string;
  text: string;
}

/** What templates see of an interface. */
function interfaceView(i: ResolvedInterface): Record<string, unknown> {
  const prefix = i.netmask === undefined ? null : i.netmask.split('.').reduce((bits, part) => bits + (Number(part) >>> 0).toString(2).replaceAll('0', '').length, 0);
  return { name: i.name, mac: i.mac, ip: i.ip ?? null, netmask: i.netmask ?? null, prefix, gateway: i.gateway ?? null, dns: i.dns ?? [], dhcp: i.dhcp === true };
}

/**
 * The `provision` object of a template's context. `agents` is the inventory's `agents`
 * section: where it names servers, `enroll` is the URL of the host's enroll.sh. With `keys`,
 * every URL carries the host's key (hostKey.ts).
 */
export function provisionView(plan: ProvisionPlan, url: string | undefined, agents?: { servers: readonly string[] }, keys?: ProvisionKeys): Record<string, unknown> {
  const base = url === undefined ? null : hostUrl(url, plan, keys);
  return {
    profile: plan.profileName,
    distro: plan.profileSpec.distro ?? null,
    hostname: plan.hostname,
    domain: plan.domain,
    interfaces: plan.interfaces.map(interfaceView),
    boot: interfaceView(plan.boot),
    url: base,
    // POST here (the installer's last step) marks the host installed: netboot false.
    callback: base === null ? null : `${base}installed`,
    // Run in the installed system before the callback, it enrolls the host's agent (serve's enroll.sh).
    enroll: base === null || !enrollsAgents(agents) ? null : `${base}enroll.sh`,
  };
}

/** Whether installers enroll their host's agent: the inventory has agents, with brokers. */
export function enrollsAgents(agents: { servers: readonly string[] } | undefined): boolean {
  return agents !== undefined && agents.servers.length > 0;
}

/** Reads templates once per sync: 5,000 hosts of one profile read its template once. */
export class TemplateCache {
  private readonly texts = new Map<string, string>();
  constructor(private readonly root: string) {}
  /** The absolute path and text of a profile's template; a `MusterError` when it cannot be read. */
  read(template: string): { file: string; text: string } {
    const file = isAbsolute(template) ? template : resolve(this.root, template);
    let text = this.texts.get(file);
    if (text === undefined) {
      text = readTemplateFile(file);
      this.texts.set(file, text);
    }
    return { file, text };
  }
}

/** A cache for `inventory` (templates are relative to its root). */
export function templateCache(inventory: Inventory): TemplateCache {
  return new TemplateCache(inventoryRoot(inventory));
}

/** The names of a host's answer files, as installerFilesOf makes them, without rendering them. */
export function installerFileNames(plan: ProvisionPlan): string[] {
  const installer = plan.profileSpec.installer;
  if (!installer) return [];
  return installer.kind === 'cloud-init' ? [installerFiles['cloud-init'], 'meta-data'] : [installerFiles[installer.kind]];
}

/**
 * The answer files of a host (none when its profile has no installer), or the
 * problems rendering them: the template's own file:line:col, or where the
 * profile names a template that cannot be read.
 */
export function installerFilesOf(inventory: Inventory, plan: ProvisionPlan, url: string | undefined, cache: TemplateCache, keys?: ProvisionKeys): { files: InstallerFile[]; problems: Problem[] } {
  const installer = plan.profileSpec.installer;
  if (!installer) return { files: [], problems: [] };
  try {
    const { file, text } = cache.read(installer.template);
    const context = withValues(hostTemplateContext(inventory, plan.host), { provision: provisionView(plan, url, inventory.agents, keys) });
    const [answer, metaData] = installerFileNames(plan);
    const files: InstallerFile[] = [{ name: answer ?? installerFiles[installer.kind], text: renderTemplate(text, context, { file }) }];
    if (metaData !== undefined) files.push({ name: metaData, text: `instance-id: ${plan.host.name}\nlocal-hostname: ${plan.hostname}\n` });
    return { files, problems: [] };
  } catch (error) {
    if (error instanceof InvalidFileError) return { files: [], problems: error.problems.map((p) => ({ ...p, message: `${plan.host.name}: ${p.message}` })) };
    if (error instanceof MusterError) {
      const at = inventory.profiles ? placeOf(inventory.profiles, [plan.profileName, 'installer', 'template']) : undefined;
      return { files: [], problems: [{ message: `${plan.host.name}: ${error.message}`, ...(at ? { at } : {}) }] };
    }
    throw error;
  }
}
