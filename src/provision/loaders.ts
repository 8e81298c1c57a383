/**
 * The boot loaders and installer kernels the TFTP root needs, taken from
 * Debian's packages rather than downloaded: a missing one is a problem naming
 * the package to install.
 */
import { statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { Problem } from '../core/errors.js';
import { placeOf } from '../inventory/sourcePosition.js';
import type { Inventory } from '../inventory/types.js';

/** A file copied into the tree: its source, and what the quick check compares (size and mtime, as rsync does). */
export interface CopiedFile {
  from: string;
  size: number;
  mtimeMs: number;
}

/** Debian's d-i netboot tree: a profile's kernel and initrd paths are looked up here unless --boot-files says elsewhere. */
export const debianNetbootTree = '/usr/lib/debian-installer/images/12/amd64/text';

/** TFTP name → where Debian installs it, and the package that does. */
const loaders: [string, string[], string][] = [
  ['pxelinux.0', ['/usr/lib/PXELINUX/pxelinux.0'], 'pxelinux'],
  ['ldlinux.c32', ['/usr/lib/syslinux/modules/bios/ldlinux.c32'], 'syslinux-common'],
  // The signed build when shim's chain is wanted, else grub-efi-amd64-bin's: both have the prefix /grub.
  ['grubx64.efi', ['/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed', '/usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi'], 'grub-efi-amd64-bin'],
  ['undionly.kpxe', ['/usr/lib/ipxe/undionly.kpxe'], 'ipxe'],
  ['ipxe.efi', ['/usr/lib/ipxe/ipxe.efi'], 'ipxe'],
];

function statOf(path: string): CopiedFile | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? { from: path, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    // Missing: the caller says which package provides it.
    return undefined;
  }
}

/** A path inside the TFTP root: relative, no `..`. */
export function safeTftpPath(path: string): boolean {
  const n = normalize(path);
  return !isAbsolute(path) && n !== '..' && !n.startsWith('../') && !n.startsWith('./') && n !== '.';
}

/**
 * The files to copy into `tftp/`: the boot loaders, and each profile's kernel
 * and initrd from `bootFiles`. Problems name the missing file (and package, or
 * the profile's key).
 */
export function copiedFiles(inventory: Inventory, profilesUsed: ReadonlySet<string>, bootFiles = debianNetbootTree): { files: Map<string, CopiedFile>; problems: Problem[] } {
  const files = new Map<string, CopiedFile>();
  const problems: Problem[] = [];
  for (const [name, sources, pkg] of loaders) {
    const found = sources.map(statOf).find((f) => f !== undefined);
    if (found) files.set(`tftp/${name}`, found);
    else problems.push({ message: `boot loader ${name} not found at ${sources.join(' or ')} (apt install ${pkg})` });
  }
  const section = inventory.profiles;
  for (const name of [...profilesUsed].sort()) {
    const spec = section?.value[name];
    if (!section || !spec) continue;
    for (const key of ['kernel', 'initrd'] as const) {
      const path = spec[key];
      const at = placeOf(section, [name, key]);
      if (!safeTftpPath(path)) {
        problems.push({ message: `profile ${name}: ${key} ${JSON.stringify(path)} must be a path inside the TFTP root (relative, no "..")`, at });
        continue;
      }
      const found = statOf(join(bootFiles, path));
      if (found) files.set(`tftp/${normalize(path)}`, found);
      else problems.push({ message: `profile ${name}: ${key} ${path} not found in ${bootFiles} (apt install debian-installer-12-netboot-amd64, or give --boot-files)`, at });
    }
  }
  return { files, problems };
}
