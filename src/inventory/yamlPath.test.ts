import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineCounter, parseDocument } from 'yaml';
import { yamlOffset } from './yamlPath.js';

const text = '# a comment first\nhosts:\n  web01: { port: x }\n  web02:\n    vars: [a, b]\nsteps:\n  - push: a\n';
const lines = new LineCounter();
const doc = parseDocument(text, { lineCounter: lines });
const at = (path: PropertyKey[], want: 'key' | 'value' = 'value') => {
  const { line, col } = lines.linePos(yamlOffset(doc, path, want));
  return `${line}:${col}`;
};

test('yamlOffset: the value, or the key when asked, of a path of keys and indexes', () => {
  assert.equal(at(['hosts', 'web01', 'port']), '3:18');
  assert.equal(at(['hosts', 'web01', 'port'], 'key'), '3:12');
  assert.equal(at(['hosts', 'web02', 'vars', 1]), '5:15');
  assert.equal(at(['steps', 0, 'push']), '7:11');
});

test('yamlOffset: a path that goes further than the document stops at the deepest node there is', () => {
  assert.equal(at(['hosts', 'web01', 'user']), '3:10', 'the map that lacks the key');
  assert.equal(at(['hosts', 'web02', 'vars', 7]), '5:11', 'the list that lacks the index');
  assert.equal(at(['nosuch']), '2:1', 'the root map, after the leading comment');
  assert.equal(at([]), '2:1');
});
