/**
 * The render tests' fleet: testdata/fleet.yaml read through the real inventory
 * parser, so the tests see exactly what `muster` commands see.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseInventory } from '../inventory/index.js';
import type { Inventory } from '../inventory/types.js';

/** Path of the test fleet's YAML (in src/, beside the tests' sources). */
export const fixturePath = fileURLToPath(new URL('../../src/render/testdata/fleet.yaml', import.meta.url));

/** The test fleet, parsed; `edit` may change the YAML text first (for variants). */
export function fixtureInventory(edit: (text: string) => string = (text) => text): Inventory {
  return parseInventory([{ path: fixturePath, text: edit(readFileSync(fixturePath, 'utf8')) }]);
}
