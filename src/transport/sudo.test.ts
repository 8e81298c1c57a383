import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sudoLine } from './sudo.js';

describe('sudoLine', () => {
  it('leaves the line alone without sudo', () => {
    assert.equal(sudoLine('echo a; echo b', false), 'echo a; echo b');
  });

  it('hands the whole line, shell syntax and quotes intact, to sudo -n -- sh -c', () => {
    const line = "echo a | tr a b; echo 'it''s'";
    assert.equal(sudoLine(line, true), `sudo -n -- sh -c 'echo a | tr a b; echo '\\''it'\\'''\\''s'\\'''`);
    // A stand-in sudo that checks its options and runs the rest, to see the quoting survive a shell.
    const bin = mkdtempSync(join(tmpdir(), 'muster-sudo-'));
    try {
      writeFileSync(join(bin, 'sudo'), '#!/bin/sh\n[ "$1" = -n ] && [ "$2" = -- ] || exit 99\nshift 2\nexec "$@"\n');
      chmodSync(join(bin, 'sudo'), 0o755);
      const result = spawnSync('sh', ['-c', sudoLine(line, true)], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, 'b\nits\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
