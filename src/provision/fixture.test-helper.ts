/**
 * The provisioning tests' fleet: testdata/fleet.yaml read through the real
 * inventory parser; its templates are the examples in templates/provision/.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A folder under /work (lab hosts and qemu never see /tmp) holding muster.yaml and templates/provision/. */
export function fixtureFolder(edit: (text: string) => string = (text) => text): string {
  const base = process.env['MUSTER_TEST_TMP'] ?? '/work/provision-scratch';
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'fleet-'));
  writeFileSync(join(dir, 'muster.yaml'), edit(readFileSync(fixturePath, 'utf8')));
  cpSync(templatesDir, join(dir, 'templates/provision'), { recursive: true });
  return dir;
}
