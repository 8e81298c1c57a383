/**
 * The provisioning tests' fleet: testdata/fleet.yaml read through the real
 * inventory parser; its templates are the examples in templates/provision/.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after } from 'node:test';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInventory } from '../inventory/index.js';
import type { Inventory } from '../inventory/types.js';
import { manifestName } from './manifest.js';

export const fixturePath = fileURLToPath(new URL('../../src/provision/testdata/fleet.yaml', import.meta.url));
export const templatesDir = fileURLToPath(new URL('../../templates/provision', import.meta.url));

/** The fleet, parsed; `edit` may change the YAML text first. */
export function fixtureInventory(edit: (text: string) => string = (text) => text, path = fixturePath): Inventory {
  return parseInventory([{ path, text: edit(readFileSync(fixturePath, 'utf8')) }]);
}

/** Where the provisioning tests make their folders: under /work (lab hosts and qemu never see /tmp). */
function scratchBase(): string {
  const base = process.env['MUSTER_TEST_TMP'] ?? '/work/provision-scratch';
  mkdirSync(base, { recursive: true });
  return base;
}

/** A test file's scratch folder (removed after its tests) and a new, not yet made, output folder in it per `fresh()`. */
export function outputFolders(prefix: string): { scratch: string; fresh: () => string } {
  const scratch = mkdtempSync(join(scratchBase(), `${prefix}-`));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let n = 0;
  return { scratch, fresh: () => join(scratch, `out${n++}`) };
}

/** A folder holding muster.yaml and templates/provision/, under the scratch base. */
export function fixtureFolder(edit: (text: string) => string = (text) => text): string {
  const dir = mkdtempSync(join(scratchBase(), 'fleet-'));
  writeFileSync(join(dir, 'muster.yaml'), edit(readFileSync(fixturePath, 'utf8')));
  cpSync(templatesDir, join(dir, 'templates/provision'), { recursive: true });
  return dir;
}

/** Every file under `dir` but the manifest, relative, with its text (`dir` in it written DIR: dnsmasq.conf names it). */
export function treeContents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name !== manifestName && !entry.name.endsWith('.lock') && statSync(path).size < 1_000_000) out.set(relative(dir, path), readFileSync(path, 'latin1').replaceAll(dir, 'DIR'));
    }
  };
  walk(dir);
  return out;
}
