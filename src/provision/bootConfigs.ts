/**
 * The per-host boot menus, one per firmware path: pxelinux for BIOS PXE,
 * GRUB for UEFI, an iPXE script for clients that are iPXE already (qemu's ROM,
 * or undionly.kpxe chained). Each boots the profile's kernel and initrd with the
 * profile's options, the host's kopts and, when muster serve's URL is known,
 * the argument that makes the installer fetch its answer file from it.
 */
import type { ProvisionKeys } from './hostKey.js';
import { macFileName, type ProvisionPlan } from './model.js';

/** The installer file muster serve hands out for each kind, under /v1/provision/HOST/. */
export const installerFiles = { preseed: 'preseed.cfg', kickstart: 'ks.cfg', 'cloud-init': 'user-data' } as const;

/** The URL of a host's folder on muster serve: `URL/v1/provision/HOST/`, or `…/HOST/KEY/` with the host's key (hostKey.ts). */
export function hostUrl(url: string, plan: ProvisionPlan, keys?: ProvisionKeys): string {
  const host = plan.host.name;
  return `${url.replace(/\/+$/, '')}/v1/provision/${encodeURIComponent(host)}/${keys ? `${keys.of(host)}/` : ''}`;
}

/** The kernel command line (without initrd=): profile options, host kopts, then where the answer file is. */
export function kernelArgs(plan: ProvisionPlan, url: string | undefined, keys?: ProvisionKeys): string {
  const args: string[] = [];
  // The answer file first: what follows `---` in a profile's options is for the installed system.
  const installer = plan.profileSpec.installer;
  if (installer && url !== undefined) {
    const base = hostUrl(url, plan, keys);
    if (installer.kind === 'preseed') args.push(`auto=true priority=critical url=${base}${installerFiles.preseed} hostname=${plan.hostname}${plan.domain ? ` domain=${plan.domain}` : ''}`);
    else if (installer.kind === 'kickstart') args.push(`inst.ks=${base}${installerFiles.kickstart}`);
    else args.push(`autoinstall ds=nocloud-net;s=${base}`);
  }
  if (plan.profileSpec.options) args.push(plan.profileSpec.options);
  if (plan.kopts) args.push(plan.kopts.value);
  return args.join(' ');
}

/** A kernel line for GRUB: each word with a character GRUB's shell reads (`;`, `$`, quotes…) single-quoted on its own, so GRUB passes it unchanged. */
function grubWords(args: string): string {
  return args.split(/\s+/).filter((w) => w !== '').map((w) => (/^[A-Za-z0-9_.,:/=+@%^-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(' ');
}

const header = (plan: ProvisionPlan, comment: string): string => `${comment} muster provision: ${plan.host.name} (profile ${plan.profileName}); generated from the inventory, edits are overwritten\n`;

/** A host's three boot menus (pxelinux, GRUB, iPXE), its kernel line made once for the three. */
export function bootMenus(plan: ProvisionPlan, url: string | undefined, keys?: ProvisionKeys): { path: string; text: string }[] {
  const args = kernelArgs(plan, url, keys);
  const [pxelinux, grub, ipxe] = bootMenuPaths(plan);
  return [
    { path: pxelinux, text: pxelinuxConfig(plan, args) },
    { path: grub, text: grubConfig(plan, args) },
    { path: ipxe, text: ipxeScript(plan, args) },
  ];
}

/** How many menus bootMenus makes for a host. */
export const bootMenuCount = 3;

/** Where a host's boot menus go, named by its boot MAC as each loader looks for them. */
function bootMenuPaths(plan: ProvisionPlan): [pxelinux: string, grub: string, ipxe: string] {
  const mac = macFileName(plan.boot.mac);
  return [`tftp/pxelinux.cfg/${mac}`, `tftp/grub/grub.cfg-${mac}`, `tftp/ipxe/${plan.boot.mac.replaceAll(':', '-')}.ipxe`];
}

/** `pxelinux.cfg/01-<mac>`'s text: paths relative to the TFTP root, where pxelinux.0 is. */
function pxelinuxConfig(plan: ProvisionPlan, args: string): string {
  const { kernel, initrd } = plan.profileSpec;
  return `${header(plan, '#')}DEFAULT install\nPROMPT 0\nTIMEOUT 0\nLABEL install\n  KERNEL ${kernel}\n  INITRD ${initrd}\n  APPEND ${args}\n`;
}

/** `grub/grub.cfg-01-<mac>`'s text: Debian's grubnetx64.efi has the prefix /grub and reads this file first. */
function grubConfig(plan: ProvisionPlan, args: string): string {
  const { kernel, initrd } = plan.profileSpec;
  return `${header(plan, '#')}set timeout=0\nset default=0\nmenuentry 'Install ${plan.host.name}' {\n  linux /${kernel} ${grubWords(args)}\n  initrd /${initrd}\n}\n`;
}

/** `ipxe/<mac>.ipxe`'s text, chained from boot.ipxe by `${mac:hexhyp}`. Absolute paths: relative ones resolve against the script's own URL. */
function ipxeScript(plan: ProvisionPlan, args: string): string {
  const { kernel, initrd } = plan.profileSpec;
  const name = initrd.split('/').pop() ?? initrd;
  return `#!ipxe\n${header(plan, '#')}kernel /${kernel} initrd=${name} ${args}\ninitrd /${initrd}\nboot\n`;
}

/** The menus every client gets before its own: iPXE chains to the host's script, GRUB's fallback says there is nothing to install. */
export function sharedBootFiles(): { path: string; text: string }[] {
  return [
    { path: 'tftp/boot.ipxe', text: '#!ipxe\n# muster provision: chain to this client\'s script; none means its netboot is off\nchain /ipxe/${mac:hexhyp}.ipxe || exit\n' },
    { path: 'tftp/grub/grub.cfg', text: '# muster provision: no grub.cfg-01-<mac> for this client: its netboot is off\necho "muster: nothing to install for ${net_default_mac}"\nsleep 5\nexit\n' },
    { path: 'tftp/pxelinux.cfg/default', text: '# muster provision: no 01-<mac> file for this client: its netboot is off, boot the local disk\nDEFAULT local\nLABEL local\n  LOCALBOOT 0\n' },
  ];
}
