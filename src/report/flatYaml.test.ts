import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { flatYaml } from './flatYaml.js';

test('flatYaml writes what yaml writes, for every value it takes', () => {
  const taken = [
    { host: 'web01', version: '0.1.0', uptime: 12345, agentUptime: 3 },
    { host: 'web01.dc1', path: '/etc/nginx/nginx.conf', exists: false, size: null, mode: 'x-y_z' },
    { a: 12.5, b: 0.30000000000000004, c: 1e21, d: -7, e: 2 ** 60, f: true, g: 'Yes', h: 'no', i: 'tRUEx', j: '_x', k: '/' },
    Object.assign(Object.create(null) as object, { n: 1 }),
  ];
  for (const value of taken) assert.equal(flatYaml(value), stringify(value), JSON.stringify(value));
});

test('flatYaml leaves to yaml what needs quoting, folding or structure', () => {
  const left: unknown[] = [
    {}, [], 'text', 3, null, new Date(0), { a: { b: 1 } }, { a: [1] }, { a: '' }, { a: 'true' }, { a: 'False' }, { a: 'NULL' },
    { a: '1e3' }, { a: '12' }, { a: '1.5' }, { a: '1.' }, { a: '0x1f' }, { a: '0o17' }, { a: '.5' }, { a: '-x' }, { a: 'x: y' }, { a: 'a#b' }, { a: 'two words' }, { a: '~' }, { a: 'é' },
    { a: -0 }, { a: Number.NaN }, { a: Number.POSITIVE_INFINITY }, { a: undefined }, { 'a b': 1 }, { true: 1 }, { '1': 1 },
  ];
  for (const value of left) assert.equal(flatYaml(value), undefined, JSON.stringify(value) ?? String(value));
});

test('flatYaml agrees with yaml on generated strings and numbers', () => {
  // A fixed generator: the same values every run.
  let seed = 42;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = '0123456789abcdefoxEeTRUNLtrunl._/-:# +';
  let compared = 0;
  for (let i = 0; i < 20000; i++) {
    const text = Array.from({ length: 1 + next(8) }, () => alphabet[next(alphabet.length)]).join('');
    const number = next(2) === 0 ? next(100000) / 10 ** next(4) : -next(1000);
    const value = { s: text, n: number };
    const fast = flatYaml(value);
    if (fast === undefined) continue;
    compared += 1;
    assert.equal(fast, stringify(value), JSON.stringify(value));
  }
  assert.ok(compared > 1000, `only ${compared} values compared`);
});
