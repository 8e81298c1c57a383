/**
 * The bindings tests' fleet (testdata/fleet.yaml) loaded through the real
 * loader, with the hostile values' `PWNDIR` pointed at a fresh folder, so a
 * test can tell whether anything in them was executed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInventory } from '../inventory/index.js';
import type { Inventory } from '../inventory/types.js';

export const fixturePath = new URL('../../src/bindings/testdata/fleet.yaml', import.meta.url).pathname;

/** The fixture inventory, and the folder its hostile values would write to if run. */
export function hostileFleet(): { inventory: Inventory; pwnDir: string } {
  const pwnDir = mkdtempSync(join(tmpdir(), 'muster-pwn-'));
  const text = readFileSync(fixturePath, 'utf8').replaceAll('PWNDIR', pwnDir);
  return { inventory: parseInventory([{ path: fixturePath, text }]), pwnDir };
}
