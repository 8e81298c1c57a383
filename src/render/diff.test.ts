import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unifiedDiff } from './diff.js';

test('equal texts have no diff; a one-line change is one hunk with context', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', { before: 'x', after: 'y' }), '');
  const before = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
  const after = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\n';
  assert.equal(unifiedDiff(before, after, { before: 'a/f', after: 'b/f' }),
    '--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+L5\n l6\n l7\n l8\n');
});

test('GNU patch applies the diff and reproduces the new text (200 random cases)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-diff-'));
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const a = Array.from({ length: random(40) }, () => `line ${random(12)}`);
    const b = a.filter(() => random(5) !== 0).flatMap((line) => (random(6) === 0 ? [line, `new ${random(9)}`] : [line]));
    if (random(4) === 0) b.push('tail');
    const before = a.length ? `${a.join('\n')}\n` : '';
    const after = b.length ? `${b.join('\n')}\n` : '';
    const diff = unifiedDiff(before, after, { before: 'a/f', after: 'b/f' });
    if (before === after) {
      assert.equal(diff, '');
      continue;
    }
    writeFileSync(join(dir, 'f'), before);
    writeFileSync(join(dir, 'f.diff'), diff);
    execFileSync('patch', ['--quiet', '--force', join(dir, 'f'), join(dir, 'f.diff')]);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), after, `round ${round}:\n${diff}`);
  }
});
