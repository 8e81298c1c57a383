/**
 * Two `muster set` on one file at once (issue 17, item 5): each used to read
 * the old text, and the second rename dropped the first edit while both said
 * "wrote". Under the lock the second waits and edits the new text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInventory } from '../../inventory/parse.js';
import { muster } from './cli.test-helper.js';

test('20 rounds of two concurrent set of different keys: every edit is in the file, both said wrote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-setlock-'));
  try {
    const file = join(dir, 'muster.yaml');
    writeFileSync(file, 'version: 1\n# the fleet\nhosts:\n  web[1-4]: {}\n');
    for (let round = 1; round <= 20; round++) {
      const [a, b] = await Promise.all([
        muster(['set', 'web1', `vars.a${round}=${round}`], { cwd: dir }),
        muster(['set', 'web1', `vars.b${round}=${round}`], { cwd: dir }),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.match(a.stdout, /^wrote muster\.yaml$/m);
      assert.match(b.stdout, /^wrote muster\.yaml$/m);
    }
    const text = readFileSync(file, 'utf8');
    const vars = parseInventory([{ path: 'muster.yaml', text }]).hostsByName.get('web1')?.vars ?? {};
    for (let round = 1; round <= 20; round++) {
      assert.equal(vars[`a${round}`], round, `round ${round}: the edit of a${round} is lost`);
      assert.equal(vars[`b${round}`], round, `round ${round}: the edit of b${round} is lost`);
    }
    assert.match(text, /^# the fleet$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
