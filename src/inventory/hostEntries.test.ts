import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { MusterError } from '../core/errors.js';
import { parseEditSource } from './hostEntries.js';

/** What the edit path said when yaml checked keys itself (uniqueKeys: true): the first line of its first error. */
function yamlSays(text: string): string | undefined {
  const error = parseDocument(text, { uniqueKeys: true, prettyErrors: true }).errors[0];
  return error ? `Cannot edit f.yaml: ${error.message.split('\n')[0] ?? ''}` : undefined;
}

function editSays(text: string): string | undefined {
  try {
    parseEditSource('f.yaml', text);
    return undefined;
  } catch (error) {
    if (!(error instanceof MusterError)) throw error;
    return error.message;
  }
}

test('a repeated key is refused as yaml refused it, at the same place, without its quadratic check', () => {
  const texts = [
    'a: 1\nb:\n  x: 1\n  x: 2\na: 3\n', 'hosts:\n  w1: {}\n  "w1": {}\n', '1: a\n"1": b\n', 'a: {x: 1, x: 2}\n', 'a: [ {x: 1, x: 2} ]\n',
    'a:\n  - x: 1\n    x: 2\n', 'a: 1\n  b: 2\n', 'hosts:\n  a: {}\n  b: {}\n', 'a: 1\nb: 2\nc:\n  a: 1\n  a: 1\nb: 3\n', 'null: 1\n~: 2\n', 'true: 1\nTrue: 2\n', '',
  ];
  let refused = 0;
  for (const text of texts) {
    const said = editSays(text);
    assert.equal(said, yamlSays(text), JSON.stringify(text));
    if (said?.includes('unique')) refused++;
  }
  assert.ok(refused >= 6);
});

test('a 10,000-host file is parsed for editing in well under the second its key check used to take', () => {
  const text = `hosts:\n${Array.from({ length: 10_000 }, (_, i) => `  web${i}.example.lan:\n    address: 10.0.${i >> 8}.${i & 255}\n`).join('')}`;
  const started = performance.now();
  parseEditSource('f.yaml', text);
  const took = performance.now() - started;
  // Generous, for a loaded machine: the quadratic check alone took ~0.7 s at this size on an idle one, and grows with the square.
  assert.ok(took < 3000, `took ${took.toFixed(0)} ms`);
  assert.match(editSays(`${text}  web5.example.lan: {}\n`) ?? '', /^Cannot edit f\.yaml: Map keys must be unique at line 20002, column 3:$/);
});
