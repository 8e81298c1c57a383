import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMap, type Pair } from 'yaml';
import { childPairs, keyPosition, parseYamlSource, pathPosition, placedEntries, positionAt, section, syntaxProblems, valuePosition } from './sourcePosition.js';

const text = 'hosts:\n  web1:\n    port: 22\n  web2:\n';

test('offsets, paths and pairs become file:line:col', () => {
  const source = parseYamlSource('f.yaml', text, { uniqueKeys: false });
  assert.deepEqual(positionAt(source, text.indexOf('port')), { file: 'f.yaml', line: 3, col: 5 });
  assert.deepEqual(pathPosition(source, ['hosts', 'web1', 'port'], 'key'), { file: 'f.yaml', line: 3, col: 5 });
  assert.deepEqual(pathPosition(source, ['hosts', 'web1', 'port'], 'value'), { file: 'f.yaml', line: 3, col: 11 });
  // A path that goes further than the document: the deepest node that exists.
  assert.deepEqual(pathPosition(source, ['hosts', 'web1', 'user'], 'value'), { file: 'f.yaml', line: 3, col: 5 });
  const [web1, web2] = section(source, 'hosts') as [Pair, Pair];
  assert.deepEqual(keyPosition(source, web1), { file: 'f.yaml', line: 2, col: 3 });
  // An empty value (`web2:`) is where it would be written, just after the colon.
  assert.deepEqual(valuePosition(source, web2), { file: 'f.yaml', line: 4, col: 8 });
  assert.deepEqual([...childPairs(web1.value).keys()], ['port']);
  assert.deepEqual(section(source, 'nothing'), []);
});

test('placed entries: only the validated keys, each at its key', () => {
  const source = parseYamlSource('f.yaml', 'vars: { a: 1, b: 2 }\n', { uniqueKeys: false });
  const vars = childPairs(source.doc.contents).get('vars')?.value;
  assert.ok(isMap(vars));
  assert.deepEqual([...placedEntries(source, vars, { a: 1 })], [['a', { value: 1, at: { file: 'f.yaml', line: 1, col: 9 } }]]);
});

test('syntax errors: the first line of each, at its place', () => {
  const source = parseYamlSource('t.yaml', 'a: [1, 2\n', { uniqueKeys: true });
  assert.deepEqual(syntaxProblems(source).map((problem) => [problem.at?.line, problem.at?.col]), [[2, 1]]);
  // Pretty errors are several lines long (the place, a caret): only the first is kept.
  const pretty = parseYamlSource('t.yaml', 'a: [1, 2\n', { uniqueKeys: true, prettyErrors: true });
  assert.match(pretty.doc.errors[0]?.message ?? '', /at line 2, column 1/);
  assert.ok(pretty.doc.errors[0]?.message.includes('\n'));
  assert.ok(syntaxProblems(pretty).every((problem) => !problem.message.includes('\n')));
});
