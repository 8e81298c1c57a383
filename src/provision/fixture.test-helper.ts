/**
 * The provisioning tests' fleet: testdata/fleet.yaml read through the real
 * inventory parser; its templates are the examples in templates/provision/.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInventory } from '../inventory/index.js';
import type { Inventory } from '../inventory/types.js';

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
