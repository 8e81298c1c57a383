import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countNodeset, expandNodeset, foldNodeset, foldNodesetInOrder, compareNatural, parseNodeset } from './nodeset.js';
import { UsageError } from './errors.js';

test('expand: ranges, lists, padding kept', () => {
  assert.deepEqual(expandNodeset('web[001-003,007]'), ['web001', 'web002', 'web003', 'web007']);
  assert.deepEqual(expandNodeset('web[08-10]'), ['web08', 'web09', 'web10']);
  assert.deepEqual(expandNodeset('web[9-10]'), ['web9', 'web10']);
  assert.deepEqual(expandNodeset('web[98-100].lan'), ['web98.lan', 'web99.lan', 'web100.lan']);
  assert.deepEqual(expandNodeset('web[098-100]'), ['web098', 'web099', 'web100']);
  // ClusterShell refuses a zero-padded range whose bounds differ in length ("padding length mismatch").
  assert.throws(() => expandNodeset('web[08-100]'), /padding length mismatch/);
  assert.deepEqual(expandNodeset('plain.example.lan'), ['plain.example.lan']);
});

test('expand: each bracket in the order written, as inventories pair addresses with hosts', () => {
  assert.deepEqual(expandNodeset('127.0.0.[4,1,3,2]'), ['127.0.0.4', '127.0.0.1', '127.0.0.3', '127.0.0.2']);
  assert.deepEqual(expandNodeset('x1[3,1-2]'), ['x13', 'x11', 'x12']);
  assert.deepEqual(expandNodeset('n[2,1]0'), ['n20', 'n10']);
  // muster nodeset (ClusterShell) sorts the same set.
  assert.deepEqual(parseNodeset('127.0.0.[4,1,3,2]').expand(), ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
});

test('expand: steps', () => {
  assert.deepEqual(expandNodeset('n[0-10/2]'), ['n0', 'n2', 'n4', 'n6', 'n8', 'n10']);
  assert.deepEqual(expandNodeset('n[01-09/4]'), ['n01', 'n05', 'n09']);
});

test('expand: multi-dimensional, first bracket outermost', () => {
  assert.deepEqual(expandNodeset('rack[1-2]node[01-02]'), ['rack1node01', 'rack1node02', 'rack2node01', 'rack2node02']);
  assert.equal(countNodeset('rack[1-2]node[01-40]'), 80);
});

test('expand: top-level commas, brackets respected, duplicates once', () => {
  assert.deepEqual(expandNodeset('a,b[1-3]'), ['a', 'b1', 'b2', 'b3']);
  assert.deepEqual(expandNodeset('b[1-2,5],b2, c'), ['b1', 'b2', 'b5', 'c']);
  assert.deepEqual(expandNodeset('[1-3]'), ['1', '2', '3']);
});

test('count', () => {
  assert.equal(countNodeset('web[001-100,200]'), 101);
  assert.equal(countNodeset('web[1-10],web[5-15]'), 15);
  // ClusterShell's operators, left to right (issue 10: these answered 5 and 10).
  assert.equal(countNodeset('a[1-5]!a3'), 4);
  assert.equal(countNodeset('a[1-5]&a[2-3]'), 2);
  assert.equal(countNodeset('a[1-3]^a[3-4]'), 3);
  assert.equal(countNodeset('a[1-5]!a3,a3'), 5);
  // A 2-D million is counted without expanding it.
  assert.equal(countNodeset('tronic[1-5000]c[1-200]p3'), 1_000_000);
});

test('digits before a bracket: ClusterShell\'s reading in countNodeset and parseNodeset, refused in expandNodeset (decision in docs/nodeset.md)', () => {
  assert.equal(countNodeset('prod-2[98-101]'), 1804);
  assert.equal(parseNodeset('prod-2[98-101]').fold(), 'prod-[298-2101]');
  assert.equal(countNodeset('db4[6-11]'), 366);
  // Where the two readings agree (one digit count per run), nothing is refused or warned about.
  assert.deepEqual(expandNodeset('db4[6-9]'), ['db46', 'db47', 'db48', 'db49']);
  assert.deepEqual(expandNodeset('a0[1-3]'), ['a01', 'a02', 'a03']);
  const seen: string[] = [];
  parseNodeset('db4[6-11],x1[1-2]', { onLeadingDigits: (found) => seen.push(`${found.written}=${found.clusterShell}`) });
  assert.deepEqual(seen, ['4[6-11]=[46-411]']);
});

test('the name cap is shared by every argument of a command when they share a budget', () => {
  const budget = { left: 1_000_000 };
  parseNodeset('a[1-900000]', { budget });
  assert.throws(() => parseNodeset('b[1-900000]', { budget }), /more than 1000000 names/);
  // Exclusions and intersections add no names, so they cost nothing.
  assert.equal(parseNodeset('n[1-1000000]!n[1-10]&n[1-20]').size, 10);
});

test('malformed patterns throw a UsageError naming the place', () => {
  const cases: [string, RegExp][] = [
    ['web[1-', /unclosed "\["/],
    ['web1-3]', /"\]" without "\["/],
    ['web[[1-2]]', /"\]" without "\["/],
    ['web[]', /empty range/],
    ['web[a-c]', /"a-c": not a number/],
    ['web[3-1]', /goes backwards/],
    ['web[1-5/0]', /step must be at least 1/],
    ['web[01-0010]', /padding length mismatch/],
    ['a,,b', /missing operand/],
    ['web[1-5]!web3', /operator "!" is not allowed here/],
    ['web[1-5]^web3', /operator "\^" is not allowed here/],
    ['db4[6-11]', /"4\[6-11\]" reads as \[46-411\] in ClusterShell .* concatenation in pdsh and Slurm/],
    ['web[-3]', /negative numbers are not supported/],
    ['', /empty pattern/],
    ['web [1-2]', /whitespace/],
    ['x[1-100000000]', /more than 1000000 names/],
    ['a[1-1000]b[1-1000]c[1-1000]', /more than 1000000 names/],
  ];
  for (const [pattern, reason] of cases) {
    assert.throws(() => expandNodeset(pattern), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${pattern}: ${String(error)}`);
      assert.match(error.message, reason, pattern);
      assert.match(error.message, /^Invalid nodeset ".*" at offset \d+: /);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  }
});

test('fold: ranges and singles', () => {
  assert.equal(foldNodeset(['web001', 'web002', 'web003', 'web007']), 'web[001-003,007]');
  assert.equal(foldNodeset(['web3', 'web1', 'web2']), 'web[1-3]');
  assert.equal(foldNodeset(['web1']), 'web1');
  assert.equal(foldNodeset([]), '');
  assert.equal(foldNodeset(['web1', 'web1', 'web2']), 'web[1-2]');
});

test('fold: same prefix and suffix only', () => {
  assert.equal(foldNodeset(['web1.a', 'web2.a', 'web3.b', 'db1.a']), 'db1.a,web[1-2].a,web3.b');
  assert.equal(foldNodeset(['gateway', 'web1', 'web2']), 'gateway,web[1-2]');
});

test('fold: padding is respected', () => {
  assert.equal(foldNodeset(['web9', 'web10']), 'web[9-10]');
  assert.equal(foldNodeset(['web09', 'web10']), 'web[09-10]');
  assert.equal(foldNodeset(['web1', 'web01', 'web2', 'web02']), 'web[1-2,01-02]');
  assert.equal(foldNodeset(['web098', 'web099', 'web100', 'web101']), 'web[098-101]');
});

test('fold: multi-dimensional', () => {
  assert.equal(foldNodeset(expandNodeset('rack[1-2]node[01-40]')), 'rack[1-2]node[01-40]');
  assert.equal(foldNodeset(['r1n1', 'r1n2', 'r2n1']), 'r1n[1-2],r2n1');
  assert.equal(foldNodeset(expandNodeset('10.0.[0-1].[1-3]')), '10.0.[0-1].[1-3]');
});

test('fold is the inverse of expand', () => {
  for (const pattern of ['web[001-100,200]', 'a[1-3]b[7,9]', 'n[0-10/2]', 'x[1-2,01-02]', 'db1,web[01-05].lan']) {
    const names = expandNodeset(pattern);
    assert.deepEqual(new Set(expandNodeset(foldNodeset(names))), new Set(names), pattern);
  }
});

test('fold: a zero-padded run that crosses a power of ten folds as ClusterShell does, and reads back', () => {
  const names = Array.from({ length: 93 }, (_, i) => `n${String(i + 8).padStart(2, '0')}`);
  assert.equal(foldNodeset(names), 'n[08-99,100]');
  assert.deepEqual(expandNodeset(foldNodeset(names)), names);
  assert.equal(foldNodeset(['n8', 'n9', 'n10', 'n100']), 'n[8-10,100]');
});

test('fold: 10,000 names quickly', () => {
  const names = expandNodeset('web[00001-10000]');
  const started = performance.now();
  assert.equal(foldNodeset(names), 'web[00001-10000]');
  assert.ok(performance.now() - started < 500);
});

test('natural order', () => {
  assert.deepEqual(['web10', 'web2', 'db1', 'web1'].sort(compareNatural), ['db1', 'web1', 'web2', 'web10']);
});

test('fold then expand gives back the same names, for random sets with mixed padding and dimensions', () => {
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const names = new Set<string>();
    const count = 1 + random(60);
    for (let i = 0; i < count; i++) {
      const n = random(120);
      const padded = random(3) === 0 ? String(n).padStart(3, '0') : String(n);
      const shape = random(4);
      if (shape === 0) names.add(`web${padded}`);
      else if (shape === 1) names.add(`r${random(3)}n${padded}.lan`);
      else if (shape === 2) names.add(`db-${padded}`);
      else names.add(random(2) === 0 ? 'gateway' : `10.0.${random(2)}.${n}`);
    }
    const folded = foldNodeset(names);
    assert.deepEqual(new Set(expandNodeset(folded)), names, folded);
    assert.equal(countNodeset(folded), names.size, folded);
  }
});

test('fold in order: the expansion gives back the names in the order given', () => {
  assert.equal(foldNodesetInOrder(['web1', 'web2', 'web3', 'web7']), 'web[1-3,7]');
  assert.equal(foldNodesetInOrder(['10.0.0.4', '10.0.0.3', '10.0.0.2']), '10.0.0.4,10.0.0.3,10.0.0.2');
  const mixed = ['b1', 'b2', 'a1', 'a2', 'a3', 'c9'];
  assert.equal(foldNodesetInOrder(mixed), 'b[1-2],a[1-3],c9');
  assert.deepEqual(expandNodeset(foldNodesetInOrder(mixed)), mixed);
  assert.equal(foldNodesetInOrder([]), '');
  const long = Array.from({ length: 5000 }, (_, i) => `n${5000 - i}`);
  assert.deepEqual(expandNodeset(foldNodesetInOrder(long)), long);
});

