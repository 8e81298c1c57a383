import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { describeIssue, inventoryWording, taskWording, valueAt } from './issueWording.js';

const schema = z.strictObject({
  name: z.string(),
  port: z.int().max(65535).optional(),
  mode: z.string().regex(/^[0-7]{4}$/, 'must be an octal mode such as "0644"').optional(),
  tags: z.array(z.string()).min(1).optional(),
});

function issues(input: unknown): z.core.$ZodIssue[] {
  const result = schema.safeParse(input);
  assert.ok(!result.success);
  return result.error.issues;
}

const inventory = inventoryWording((path) => (path.length === 0 ? ['name', 'port', 'mode', 'tags'] : undefined));

test('one rule for where an issue points: an unknown key at the key, the rest at the value', () => {
  const input = { name: 'x', colour: 1, size: 2 };
  const [unknown] = issues(input);
  assert.ok(unknown);
  assert.deepEqual(describeIssue(unknown, input, inventory), [
    { message: 'unknown key "colour" (allowed: name, port, mode, tags)', path: ['colour'], want: 'key' },
    { message: 'unknown key "size" (allowed: name, port, mode, tags)', path: ['size'], want: 'key' },
  ]);
  assert.deepEqual(describeIssue(unknown, input, taskWording), [{ message: 'unknown keys "colour", "size"', path: ['colour'], want: 'key' }]);
});

test('the inventory names the path and rewords zod; a task file names the key and shows the schema\'s words', () => {
  const input = { port: 70000, mode: 'rw', tags: [] };
  const [missing, ...rest] = issues(input);
  assert.ok(missing);
  assert.deepEqual(describeIssue(missing, input, inventory), [{ message: '"name" is required', path: ['name'], want: 'value' }]);
  assert.deepEqual(describeIssue(missing, input, taskWording), [{ message: 'missing "name"', path: ['name'], want: 'value' }]);
  assert.deepEqual(rest.map((issue) => describeIssue(issue, input, inventory)[0]?.message), ['"port": must be <=65535', '"mode": must be an octal mode such as "0644"', '"tags" must not be empty']);
  assert.deepEqual(rest.map((issue) => describeIssue(issue, input, taskWording)[0]?.message), ['port: Too big: expected number to be <=65535', 'mode: must be an octal mode such as "0644"', 'tags: Too small: expected array to have >=1 items']);
  const typed = { name: 22 };
  assert.deepEqual(issues(typed).map((issue) => describeIssue(issue, typed, inventory)[0]?.message), ['"name" must be a string, not number 22']);
});

test('valueAt walks keys and indexes; undefined past the end', () => {
  assert.equal(valueAt({ a: [{ b: 1 }] }, ['a', 0, 'b']), 1);
  assert.equal(valueAt({ a: 1 }, ['a', 'b']), undefined);
});

test('an unknown key inside a place with no name (a list item of a task file) says no "in"', () => {
  const nested = z.strictObject({ steps: z.array(z.strictObject({ push: z.string() })), env: z.strictObject({}).optional() });
  const input = { steps: [{ push: 'a', dset: '/y' }], env: { colour: 1 } };
  const result = nested.safeParse(input);
  assert.ok(!result.success);
  const messages = result.error.issues.map((issue) => describeIssue(issue, input, taskWording)[0]?.message);
  assert.deepEqual(messages, ['unknown key "dset"', 'unknown key "colour" in env']);
});
