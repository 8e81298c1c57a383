import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandDefinitions } from '../help/definitions.js';
import { registry } from '../registry.js';
import { assertUsageFailure, musterBin, musterSync } from './cli.test-helper.js';

const has = (shell: string): boolean => spawnSync(shell, ['-c', 'true'], { stdio: 'ignore' }).status === 0;

/** A folder with a muster.yaml and an executable `muster` on PATH, as a user's shell has them. */
function fleet(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'muster-completion-'));
  writeFileSync(join(dir, 'muster.yaml'), 'roles:\n  web: {}\n  db: {}\ngroups:\n  tokyo: web\nhosts:\n  web[01-03]: { roles: [web] }\n  db1: { roles: [db] }\n');
  writeFileSync(join(dir, 'muster'), `#!/bin/sh\nexec '${process.execPath}' '${musterBin}' "$@"\n`);
  chmodSync(join(dir, 'muster'), 0o755);
  return { dir, env: { ...process.env, MUSTER_INVENTORY: '', PATH: `${dir}:${process.env['PATH'] ?? ''}` } };
}

/** What bash's completion offers for the words (the last is the one being completed). */
function complete(words: string[], how: { dir: string; env: NodeJS.ProcessEnv }): string[] {
  const array = words.map((word) => `'${word}'`).join(' ');
  const out = execFileSync('bash', ['-c', `source <(muster completion bash); COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _muster; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: how.dir, env: how.env, encoding: 'utf8' });
  return out.split('\n').filter((line) => line !== '');
}

test('bash completion: commands, subcommands, options from the definitions, and the inventory\'s names', { skip: has('bash') ? false : 'bash is not installed' }, async () => {
  const how = fleet();
  try {
    assert.deepEqual(complete(['muster', 'ru'], how), ['run', 'runbook']);
    assert.deepEqual(complete(['muster', 'lab', 'st'], how), ['status', 'stop', 'start']);
    assert.deepEqual(complete(['muster', 'run', 'w'], how), ['web', 'web01', 'web02', 'web03']);
    assert.deepEqual(complete(['muster', 'ls', 't'], how), ['tokyo']);
    assert.deepEqual(complete(['muster', 'export', '-f', ''], how), ['sh', 'json', 'yaml', 'env', 'ansible']);
    // Every option commander defines for run is offered, and nothing else: the script cannot drift.
    const run = (await commandDefinitions(registry)).find((def) => def.path === 'run');
    const flags = run?.options.flatMap((option) => [option.short, option.long].filter((flag) => flag !== undefined)) ?? [];
    assert.ok(flags.includes('--max-fail'));
    assert.deepEqual(complete(['muster', 'run', '-'], how).sort(), [...flags].sort());
    // Without an inventory, names complete to nothing, and nothing is printed into the command line.
    const empty = mkdtempSync(join(tmpdir(), 'muster-completion-none-'));
    assert.deepEqual(complete(['muster', 'run', 'w'], { ...how, dir: empty }), []);
    rmSync(empty, { recursive: true });
  } finally {
    rmSync(how.dir, { recursive: true, force: true });
  }
});

test('completion --words lists the names of the inventory given with -i', () => {
  const how = fleet();
  try {
    const ran = musterSync(['completion', '--words', 'hosts', '-i', join(how.dir, 'muster.yaml')]);
    assert.equal(ran.stdout, 'web01\nweb02\nweb03\ndb1\n');
    assert.equal(musterSync(['completion', '--words', 'groups', '-i', join(how.dir, 'muster.yaml')]).stdout, 'tokyo\n');
    assertUsageFailure(musterSync(['completion', 'tcsh']), /^muster: Which shell\? muster completion bash, zsh or fish \(not "tcsh"\)$/m);
  } finally {
    rmSync(how.dir, { recursive: true, force: true });
  }
});

for (const shell of ['zsh', 'fish']) {
  test(`${shell} completion: the script parses (${shell} -n)`, { skip: has(shell) ? false : `${shell} is not installed here (scripts/setup.sh does not install it)` }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'muster-completion-'));
    try {
      const ran = musterSync(['completion', shell]);
      assert.equal(ran.code, 0, ran.stderr);
      writeFileSync(join(dir, `muster.${shell}`), ran.stdout);
      const check = spawnSync(shell, ['-n', join(dir, `muster.${shell}`)], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('fish completion names every command with its summary', () => {
  const script = musterSync(['completion', 'fish']).stdout;
  for (const entry of registry) assert.ok(script.includes(`-a '${entry.name}' -d '${entry.summary.replace(/'/g, "\\'")}'`), entry.name);
});
