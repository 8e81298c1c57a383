import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { applySplices, lineEndAfter, lineStart, yamlKey, yamlValue } from './yamlSplice.js';
import type { VarValue } from './types.js';

/** A deterministic stream of awkward strings: YAML indicators, quotes, shell syntax, controls, unicode. */
function* awkwardStrings(count: number): Generator<string> {
  const alphabet = ['a', 'Z', '0', '9', ' ', ':', '#', '-', '?', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '\\', '\n', '\t', '\r', '$', '(', ')', ';', '~', '=', '.', '\u007f', '\u0085', '\u00e9', '\u2028', '\ufeff', '日', '😀'];
  let seed = 42;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  yield* ['', ' ', 'yes', 'no', 'on', 'null', '~', 'true', '0x1f', '0o17', '1e3', '.inf', '.nan', '-', '- a', 'a: b', '# c', '&a', '*a', '!tag', '@x', '`x`', '%x', "'", '"', 'a #b', 'a# b', '[a]', '{a: 1}', '0777', '1_000'];
  for (let i = 0; i < count; i++) {
    const length = 1 + next(12);
    yield Array.from({ length }, () => alphabet[next(alphabet.length)]).join('');
  }
}

test('yamlValue: every string reads back exactly, as a block value and inside a flow map', () => {
  for (const value of awkwardStrings(3000)) {
    const text = yamlValue(value);
    assert.equal(parse(`k: ${text}\n`).k, value, `block: ${JSON.stringify(value)} written as ${text}`);
    assert.equal(parse(`{ a: 1, k: ${text}, b: 2 }`).k, value, `flow: ${JSON.stringify(value)} written as ${text}`);
    assert.equal(parse(`{ k: ${text} }`).k, value, `flow end: ${JSON.stringify(value)} written as ${text}`);
  }
});

test('yamlValue: numbers, booleans, null, lists and maps keep their type', () => {
  const values: VarValue[] = [0, -1, 8080, 1.5, 1e21, true, false, null, [], {}, ['a', 1, null, ['x']], { 'a b': { c: [true] } }, Infinity, -Infinity];
  for (const value of values) {
    assert.deepEqual(parse(`k: ${yamlValue(value)}\n`).k, value);
    assert.deepEqual(parse(`{ k: ${yamlValue(value)} }`).k, value);
  }
  assert.equal(yamlValue('plain text'), 'plain text');
  assert.equal(yamlValue('yes'), '"yes"');
  assert.equal(yamlValue('8080'), '"8080"');
});

test('yamlKey: every key reads back exactly', () => {
  for (const key of awkwardStrings(1000)) {
    assert.deepEqual(Object.keys(parse(`${yamlKey(key)}: 1\n`) as object), [key], JSON.stringify(key));
  }
});

test('applySplices applies in any order and refuses overlaps; line helpers', () => {
  assert.equal(applySplices('abcdef', [{ start: 0, end: 1, text: 'X' }, { start: 4, end: 6, text: 'YZ!' }, { start: 2, end: 2, text: '+' }]), 'Xb+cdYZ!');
  assert.throws(() => applySplices('abcdef', [{ start: 0, end: 3, text: '' }, { start: 2, end: 4, text: '' }]), /overlapping/);
  const text = 'a: 1\nbb: 2\n';
  assert.equal(lineStart(text, 7), 5);
  assert.equal(lineEndAfter(text, 6), 11);
  assert.equal(lineEndAfter(text, 5), 5);
  assert.equal(lineEndAfter('a: 1', 2), 4);
});
