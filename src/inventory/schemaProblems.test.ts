import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Problem } from '../core/errors.js';
import { allowedKeys, checkFile } from './schemaProblems.js';
import { parseYamlSource } from './sourcePosition.js';

test('allowed keys are the schema\'s own, in its order, wherever a mapping has fixed keys', () => {
  // The list users read after an unknown top-level key (it was a hand-written list before).
  assert.deepEqual(allowedKeys([]), ['version', 'defaults', 'states', 'skip_states', 'roles', 'groups', 'hosts', 'ssh_config', 'checks', 'agents', 'profiles']);
  assert.deepEqual(allowedKeys(['defaults']), ['user', 'port', 'vars']);
  assert.deepEqual(allowedKeys(['roles', 'web']), ['description', 'vars', 'files', 'provision']);
  assert.deepEqual(allowedKeys(['hosts', 'web[1-2]']), ['roles', 'address', 'user', 'port', 'state', 'note', 'vars', 'files', 'provision']);
  assert.deepEqual(allowedKeys(['checks', 'ping']), ['command', 'on', 'description']);
  assert.equal(allowedKeys(['hosts']), undefined);
  assert.equal(allowedKeys(['hosts', 'a', 'vars']), undefined);
  assert.equal(allowedKeys(['nothing', 'here']), undefined);
});

test('a schema problem is reported at its place and drops only what it spoils', () => {
  const text = 'roles:\n  web: { vars: 3 }\nhosts:\n  a: { port: x, note: kept }\n  b: {}\nstates: oops\n';
  const source = parseYamlSource('f.yaml', text, { uniqueKeys: false });
  const problems: Problem[] = [];
  const checked = checkFile(source, source.doc.toJS() as Record<string, unknown>, problems);
  assert.deepEqual(problems.map((problem) => [problem.message, problem.at?.line, problem.at?.col]), [
    ['"states" must be a list, not the text "oops"', 6, 9],
    ['"roles.web.vars" must be a mapping, not number 3', 2, 16],
    ['"hosts.a.port" must be a number, not the text "x"', 4, 14],
  ]);
  assert.deepEqual(checked.data.roles, { web: {} });
  assert.deepEqual(checked.data.hosts, { a: { note: 'kept' }, b: {} });
  assert.equal(checked.data.states, undefined);
  assert.deepEqual([...checked.broken], ['states']);
  assert.deepEqual([...checked.declaredRoles], ['web']);
});
