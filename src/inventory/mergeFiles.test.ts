import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { Problem } from '../core/errors.js';
import { readInventoryFile, type ParsedFile } from './inventoryFile.js';
import { mergeFiles } from './mergeFiles.js';

function parsed(files: Record<string, string>, problems: Problem[]): ParsedFile[] {
  return Object.entries(files).map(([path, text]) => readInventoryFile({ path, text }, problems) as ParsedFile);
}

test('files merge: settings once, names once, each clash at the second place with the first', () => {
  const problems: Problem[] = [];
  const merged = mergeFiles(parsed({
    'inv/a.yaml': 'version: 1\nstates: [ok, off]\nroles: { web: { vars: { p: 80 } } }\ngroups: { g: "web" }\nssh_config: ../ssh\n',
    'inv/b.yaml': 'version: 1\nroles:\n  web: {}\n  db: {}\nchecks: { ping: { command: ping, on: "\'db\'" } }\n',
  }, problems), problems);
  assert.deepEqual(problems.map((problem) => [problem.message, problem.at?.file, problem.also?.file]), [['role "web" is defined twice', 'inv/b.yaml', 'inv/a.yaml']]);
  assert.deepEqual(merged.states?.value, ['ok', 'off']);
  assert.equal(merged.version?.at.file, 'inv/a.yaml');
  assert.equal(merged.sshConfig?.value, resolve('ssh'));
  assert.deepEqual([...merged.roles.keys()], ['web', 'db']);
  assert.deepEqual(merged.roles.get('web')?.placed.get('p'), { value: 80, at: { file: 'inv/a.yaml', line: 3, col: 25 } });
  assert.deepEqual(merged.groups.get('g')?.quoted, true);
  assert.deepEqual(merged.checks.get('ping')?.valueAt, { file: 'inv/b.yaml', line: 5, col: 38 });
  assert.equal(merged.statesKnown && merged.rolesKnown, true);
});
