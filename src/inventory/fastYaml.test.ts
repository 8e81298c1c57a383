import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LineCounter, YAMLMap, isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLSeq } from 'yaml';
import { parseFastYaml } from './fastYaml.js';
import { lineCounterOf } from './sourcePosition.js';

const repo = resolve(import.meta.dirname, '../..');

/**
 * Everything of a node tree the pipeline (and toJS) can see: scalar value, type, source, format, range[0..1];
 * collections' kind, flow, start. range[2] (where trailing comments end) is not compared: the fast path does
 * not attach comments to nodes, and only the edit path (which parses with yaml) reads it.
 */
function shape(node: unknown): unknown {
  if (isScalar(node)) return { value: node.value, type: node.type, range: node.range?.slice(0, 2), source: node.source, format: node.format, minFractionDigits: node.minFractionDigits };
  if (isMap(node)) return { map: node.items.map((pair) => [shape(pair.key), shape(pair.value)]), flow: node.flow ?? false, start: node.range?.[0] };
  if (isSeq(node)) return { seq: node.items.map(shape), flow: node.flow ?? false, start: node.range?.[0] };
  return { other: String(node) };
}

/**
 * Whether the fast path took `text`; when it did, asserts it made what yaml
 * makes: no errors there, the same nodes, data and line index.
 */
function sameAsYaml(text: string): boolean {
  const fast = parseFastYaml(text);
  if (!fast) return false;
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  assert.deepEqual(doc.errors.map((error) => error.message), [], `fast path took a text yaml refuses:\n${text}`);
  assert.deepEqual(shape(fast.doc.contents), shape(doc.contents), `nodes differ for:\n${text}`);
  assert.deepEqual(fast.data, doc.toJS(), `data differs for:\n${text}`);
  assert.deepEqual(lineCounterOf(text).lineStarts, lines.lineStarts);
  return true;
}

test('the repo test inventories take the fast path and read as yaml reads them', () => {
  const files = ['bindings', 'render', 'serve'].flatMap((dir) => readdirSync(join(repo, 'src', dir, 'testdata')).filter((name) => name.endsWith('.yaml')).map((name) => join(repo, 'src', dir, 'testdata', name)));
  assert.ok(files.length >= 3);
  for (const file of files) assert.ok(sameAsYaml(readFileSync(file, 'utf8')), file);
});

test('the bench generators write inventories the fast path reads as yaml does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-fastyaml-'));
  try {
    // Both generators write under bench/results (ignored by git); small sizes keep this quick.
    execFileSync(process.execPath, [join(repo, 'bench', 'inventory.js'), '--hosts', '500', '--generate-only'], { stdio: 'ignore' });
    execFileSync(process.execPath, [join(repo, 'bench', 'inventory-large.mjs'), '--mb', '0.3', '--generate-only'], { stdio: 'ignore' });
    for (const file of [join(repo, 'bench', 'results', 'inventory-500', 'muster.yaml'), join(repo, 'bench', 'results', 'inventory-0.3mb', 'muster.yaml')]) {
      assert.ok(sameAsYaml(readFileSync(file, 'utf8')), file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

const scalars = ['web', 'ntp1.example.lan', '192.0.2.[1-4]', '10:30', 'http://x.lan/a', 'a#b', 'x,y', '-x', '-1', '+7', '0', '007', '0o17', '0x1F', '1.50', '.5', '1e3', '-2.5E-3', '.inf', '-.Inf', '.nan',
  'true', 'False', 'TRUE', 'null', 'Null', '~', 'yes', 'no', 'on', '2026-11-01', '"quoted"', '"a \\"b\\" \\\\ \\n \\t \\x41 \\u00e9"', "'it''s'", "''", '""', '"  spaced  "', 'ünïcode ✓', 'a b  c', '9007199254740993'];

/** A random inventory-shaped text within the subset: nested maps, compact and indented lists, flow collections, comments, blank lines. */
function randomInventory(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const scalar = (): string => pick(scalars);
  const flow = (depth: number): string => {
    const n = Math.floor(next() * 4);
    if (next() < 0.5) return `[${Array.from({ length: n }, () => (depth < 1 && next() < 0.2 ? flow(depth + 1) : scalar().replace(/[,:[\]{}]/g, ''))).join(pick([', ', ','])) || pick(['', ' '])}]`;
    return `{${pick([' ', ''])}${Array.from({ length: n }, (_, i) => `k${i}: ${depth < 1 && next() < 0.2 ? flow(depth + 1) : scalar().replace(/[,:[\]{}]/g, '') || 'v'}`).join(', ')}${pick([' ', ''])}}`;
  };
  const lines: string[] = ['# generated', 'version: 1'];
  const block = (indent: number, depth: number): void => {
    const pad = ' '.repeat(indent);
    const count = 1 + Math.floor(next() * 4);
    for (let i = 0; i < count; i++) {
      const name = pick(['web', 'db01.tk1.lan', 'web[001-010].x', '"quoted key"', "'single'", 'with space', 'k-1', '_u']);
      const suffix = `${depth}x${i}`; // unique within the mapping
      const keyText = /^["']/.test(name) ? `${name.slice(0, -1)}${suffix}${name.slice(-1)}` : `${name}${suffix}`;
      const comment = next() < 0.2 ? `  # note ${i}` : '';
      if (next() < 0.1) lines.push('');
      if (next() < 0.1) lines.push(`${' '.repeat(Math.floor(next() * 6))}# a comment line`);
      const shapeOf = next();
      if (depth < 3 && shapeOf < 0.3) {
        lines.push(`${pad}${keyText}:${comment}`);
        block(indent + pick([1, 2, 4]), depth + 1);
      } else if (shapeOf < 0.4) {
        lines.push(`${pad}${keyText}:${comment}`);
        const dashPad = next() < 0.5 ? pad : `${pad}  `;
        for (let j = 0; j < 1 + Math.floor(next() * 3); j++) lines.push(`${dashPad}-${pick([' ', '   '])}${next() < 0.2 ? flow(0) : scalar()}`);
      } else if (shapeOf < 0.55) {
        lines.push(`${pad}${keyText}: ${flow(0)}${comment}`);
      } else if (shapeOf < 0.6) {
        lines.push(`${pad}${keyText}:${pick(['', '   '])}${comment}`);
      } else {
        lines.push(`${pad}${keyText}:${pick([' ', '  '])}${scalar()}${pick(['', ' ', comment])}`);
      }
    }
  };
  block(0, 0);
  return `${lines.join('\n')}${next() < 0.8 ? '\n' : ''}`;
}

test('random inventories within the subset all take the fast path and read as yaml reads them', () => {
  const next = random(17);
  let taken = 0;
  for (let i = 0; i < 400; i++) {
    const text = randomInventory(next);
    // A generated key may repeat or clash with yaml's rules in ways the generator does not model; the check is on what is taken.
    if (sameAsYaml(text)) taken++;
  }
  assert.ok(taken > 300, `only ${taken} of 400 took the fast path`);
});

test('random edits of an inventory: whatever the fast path takes, yaml reads the same (and refuses nothing of it)', () => {
  const next = random(99);
  const base = readFileSync(join(repo, 'src', 'serve', 'testdata', 'fleet.yaml'), 'utf8');
  const alphabet = [':', ' ', '#', '-', '[', ']', '{', '}', ',', '"', "'", '\n', '  ', '&a', '*a', '!t', '|', '>', '? ', '\\', '---', '%', 'x', '1', '.', '\t'];
  let taken = 0;
  let left = 0;
  for (let i = 0; i < 1500; i++) {
    let text = base;
    for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
      const at = Math.floor(next() * text.length);
      text = next() < 0.6 ? text.slice(0, at) + (alphabet[Math.floor(next() * alphabet.length)] ?? '') + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 3));
    }
    if (sameAsYaml(text)) taken++;
    else left++;
  }
  // Both sides must be exercised, or the test shows nothing.
  assert.ok(taken > 200 && left > 200, `taken ${taken}, left to yaml ${left}`);
});

test('the lean nodes are what yaml makes, to yaml\'s own checks and methods', () => {
  const fast = parseFastYaml('a: 1\nb: [x, "y"]\nc: { d: ~ }\n');
  assert.ok(fast);
  const root = fast.doc.contents;
  assert.ok(isMap(root) && root instanceof YAMLMap);
  assert.equal(root.get('a'), 1);
  assert.ok(isSeq(root.get('b')) && isScalar((root.get('b') as YAMLSeq).items[1]));
  assert.deepEqual(((root.get('b') as YAMLSeq).items[1] as Scalar).range, [12, 15, 15]);
  assert.equal(String((root.get('b') as YAMLSeq).items[0]), 'x');
  assert.deepEqual(fast.doc.toJS(), { a: 1, b: ['x', 'y'], c: { d: null } });
});

test('what the fast path leaves to yaml', () => {
  const outside = [
    'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  text\n', 'a: >\n  text\n', 'a: one\n  two\n', 'a: "one\n  two"\n', 'a: [1,\n  2]\n',
    '---\na: 1\n', 'a: 1\n...\n', '%YAML 1.2\n---\na: 1\n', 'a:\n\tb: 1\n', 'a: 1\r\nb: 2\r\n', '\ufeffa: 1\n', '- a\n- b\n', 'a\n', '',
    'a:\n  - b: 1\n', 'a:\n  -\n    b\n', '? a\n: 1\n', 'a: b: c\n', 'a: [b, ]\n', 'a: { b }\n', 'a: "\\N"\n', 'a :1\n', '1: a\n', 'true: a\n',
    '__proto__: 1\n', 'a: { __proto__: 1 }\n', `${'k'.repeat(1100)}: 1\n`, 'a:\n  b: 1\n c: 2\n', 'a:\n  - x\n  y: 1\n',
    'a: 1\na: 2\n', 'a: { b: 1, b: 2 }\n', 'h:\n  x: 1\n  "x": 2\n', 'constructor: 1\nconstructor: 2\n',
  ];
  for (const text of outside) assert.equal(parseFastYaml(text), undefined, JSON.stringify(text));
  const inside = ['a: 1\n', 'a:\n- x\n- y\nb: 2', 'a: { b: [c, "d"] }  # c\n', '"a b": \'c\'\n', 'a:\n\n  # c\n  b: ~\n'];
  for (const text of inside) assert.ok(sameAsYaml(text), JSON.stringify(text));
});
