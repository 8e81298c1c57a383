import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inventoryJsonSchema } from './jsonSchema.js';

test('schema/muster.schema.json is the one generated from the zod schema (run `npm run schema`)', () => {
  const committed = readFileSync(new URL('../../schema/muster.schema.json', import.meta.url), 'utf8');
  assert.equal(committed, inventoryJsonSchema());
});

test('the JSON Schema is strict and knows the format', () => {
  const schema = JSON.parse(inventoryJsonSchema()) as { additionalProperties: boolean; properties: Record<string, { additionalProperties?: unknown }> };
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties), ['version', 'defaults', 'states', 'skip_states', 'roles', 'groups', 'hosts', 'ssh_config', 'checks', 'agents', 'profiles']);
});
