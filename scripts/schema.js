// `npm run schema`: writes schema/muster.schema.json from the zod schema (build first: npm run build).
import { writeFileSync } from 'node:fs';
import { inventoryJsonSchema } from '../dist/inventory/jsonSchema.js';

const target = new URL('../schema/muster.schema.json', import.meta.url);
writeFileSync(target, inventoryJsonSchema());
process.stdout.write(`wrote ${target.pathname}\n`);
