/**
 * The JSON Schema of an inventory file, generated from the zod schema the loader
 * validates with, so editors and muster can never disagree. Written to
 * `schema/muster.schema.json` by `npm run schema`; a test keeps the committed file current.
 */
import { z } from 'zod';
import { inventoryFileSchema } from './schema.js';

/** The JSON Schema (draft 2020-12) of one inventory file, as text ending in a newline. */
export function inventoryJsonSchema(): string {
  const schema = {
    ...z.toJSONSchema(inventoryFileSchema, { target: 'draft-2020-12' }),
    $id: 'https://muster.invalid/schema/muster.schema.json',
    title: 'muster inventory',
    description: 'One muster inventory file: muster.yaml, or any *.yaml under inventory/ (merged). Add `# yaml-language-server: $schema=…/muster.schema.json` at the top for completion.',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
