// `muster nodeset` as a user runs it: the real CLI, its exit codes, stdout and stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertUsageFailure, musterSync } from './cli.test-helper.js';

test('operators are ClusterShell\'s, left to right (these answered 5 and 10 before)', () => {
  assert.equal(musterSync(['nodeset', 'count', 'a[1-5]!a3']).stdout, '4\n');
  assert.equal(musterSync(['nodeset', 'count', 'a[1-5]&a[2-3]']).stdout, '2\n');
  assert.equal(musterSync(['nodeset', 'fold', 'a[1-3]^a[3-4]']).stdout, 'a[1-2,4]\n');
  assert.equal(musterSync(['nodeset', 'fold', 'a[1-5]!a3,a3']).stdout, 'a[1-5]\n');
  // Arguments are united after each is read on its own.
  assert.equal(musterSync(['nodeset', 'fold', 'a[1-5]!a3', 'a3']).stdout, 'a[1-5]\n');
});

test('a padded run across a power of ten folds to text ClusterShell reads back', () => {
  const names = Array.from({ length: 93 }, (_, i) => `n${String(i + 8).padStart(2, '0')}`);
  assert.equal(musterSync(['nodeset', 'fold', ...names]).stdout, 'n[08-99,100]\n');
  assertUsageFailure(musterSync(['nodeset', 'count', 'n[08-100]']), /^muster: Invalid nodeset "n\[08-100\]" at offset 2: bad range "08-100": padding length mismatch/);
});

test('digits before a bracket: ClusterShell\'s reading, and a warning where pdsh and Slurm read it otherwise', () => {
  const ran = musterSync(['nodeset', 'count', 'db4[6-11]']);
  assert.equal(ran.code, 0);
  assert.equal(ran.stdout, '366\n');
  assert.match(ran.stderr, /^muster nodeset: warning: "4\[6-11\]" at offset 2 of "db4\[6-11\]" reads as \[46-411\] \(ClusterShell's reading, used here\); pdsh and Slurm concatenate/);
  assert.equal(musterSync(['nodeset', 'count', 'prod-2[98-101]']).stdout, '1804\n');
  // Where both readings agree, no warning.
  const same = musterSync(['nodeset', 'fold', 'db4[6-9]']);
  assert.equal(same.stdout, 'db[46-49]\n');
  assert.equal(same.stderr, '');
});

test('names from stdin when no argument is given, # comments ignored', () => {
  const ran = musterSync(['nodeset', 'fold'], { input: 'web1 web2\nweb3 # web9\n  db[1-2]!db2\n' });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, 'db1,web[1-3]\n');
});

test('the 1,000,000-name cap counts the whole command, not each argument', () => {
  assert.equal(musterSync(['nodeset', 'count', 'a[1-500000]', 'b[1-500000]']).stdout, '1000000\n');
  assertUsageFailure(musterSync(['nodeset', 'count', 'a[1-900000]', 'b[1-900000]']), /^muster: Invalid nodeset "b\[1-900000\]" at offset 2: it makes more than 1000000 names/);
  // A 2-D million folds and counts without being expanded.
  assert.equal(musterSync(['nodeset', 'fold', 'tronic[1-5000]c[1-200]p3']).stdout, 'tronic[1-5000]c[1-200]p3\n');
});

test('what muster does not read is refused in one line: node groups, wildcards, negative numbers, a dangling operator', () => {
  assertUsageFailure(musterSync(['nodeset', 'fold', '@web']), /node groups/);
  assertUsageFailure(musterSync(['nodeset', 'fold', 'web*']), /wildcards/);
  assertUsageFailure(musterSync(['nodeset', 'fold', 'n[-5-3]']), /negative numbers are not supported/);
  assertUsageFailure(musterSync(['nodeset', 'fold', 'a[1-3]!']), /at offset 6: missing operand after "!"/);
});
