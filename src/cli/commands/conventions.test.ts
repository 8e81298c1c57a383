/**
 * The CLI's conventions as a user meets them (issue 15's traps): every error
 * starts `muster: `, bare `muster` is a usage error, a mistyped command or option
 * gets a suggestion, a missing selector before `--` is named, and a global
 * option is offered only where it does something. Through the real CLI; no lab.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoStack, assertUsageFailure, musterSync } from './cli.test-helper.js';

const work = mkdtempSync(join(tmpdir(), 'muster-conventions-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('bare muster prints the help on stderr and exits 2; --help prints it on stdout, exit 0', () => {
  const bare = musterSync([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, '');
  assert.match(bare.stderr, /^Usage: muster <command> \[options\]\n[\s\S]*\n {2}run +run a command/);
  const help = musterSync(['--help']);
  assert.equal(help.code, 0);
  assert.equal(help.stdout, bare.stderr);
});

test('a mistyped command gets a suggestion, on the line that says so', () => {
  assertUsageFailure(musterSync(['rn', 'all']), /^muster: Unknown command "rn"; did you mean run\?\n/);
  assertUsageFailure(musterSync(['lab', 'stauts']), /^muster: unknown command 'stauts'; did you mean status\?\n/);
  // Nothing close: the list of commands instead.
  assertUsageFailure(musterSync(['xyzzy']), /^muster: Unknown command "xyzzy"\. Commands: check, ls, /);
});

test('commander\'s own errors start as muster\'s do: muster: …', () => {
  const unknown = musterSync(['ls', '--bogus']);
  assertUsageFailure(unknown, /^muster: unknown option '--bogus'\n\(add --help for usage\)\n$/);
  assertUsageFailure(musterSync(['ls', '--jsn']), /^muster: unknown option '--jsn'; did you mean --json\?\n/);
  assertUsageFailure(musterSync(['nodeset']), /^muster: missing required argument 'action'\n/);
});

test('muster run -- hostname says the selector is missing (options before -- are skipped)', () => {
  for (const args of [['run', '--', 'hostname'], ['run', '-f', '4', '--', 'hostname'], ['--json', 'run', '--timeout=3s', '--', 'uptime']]) {
    const ran = musterSync(args);
    // run takes hosts from -w/--hostfile too, so it says both ways.
    assertUsageFailure(ran, /^muster: No hosts: give a selector before -- \(e\.g\. muster run web -- uptime\), or -w HOSTS \/ --hostfile FILE\n/);
  }
});

test('-v is offered only where it prints more; -i not on lab nor nodeset', () => {
  assertUsageFailure(musterSync(['ls', '-v']), /^muster: unknown option '-v'\n/);
  assertUsageFailure(musterSync(['-v', 'run', 'all', '--', 'true']), /^muster: unknown option '-v'\n/);
  assert.doesNotMatch(musterSync(['run', '--help']).stdout, /--verbose/);
  assert.match(musterSync(['lab', 'status', '--help']).stdout, /-v, --verbose/);
  assert.match(musterSync(['ca', 'list', '--help']).stdout, /-v, --verbose/);
  assertUsageFailure(musterSync(['lab', 'up', '-i', 'x.yaml', '1']), /^muster: unknown option '-i'\n/);
  assertUsageFailure(musterSync(['nodeset', '-i', 'x.yaml', 'fold', 'a1']), /^muster: unknown option '-i'\n/);
  assert.doesNotMatch(musterSync(['lab', 'up', '--help']).stdout, /--inventory/);
  assert.doesNotMatch(musterSync(['lab', 'status', '--help']).stdout, /--quiet/);
});

test('nodeset --json gives one object; -q drops the digits-before-a-bracket warning', () => {
  assert.deepEqual(JSON.parse(musterSync(['nodeset', 'fold', 'a1', 'a2', 'a3', '--json']).stdout), { nodeset: 'a[1-3]', count: 3 });
  assert.deepEqual(JSON.parse(musterSync(['--json', 'nodeset', 'expand', 'a[1-2]']).stdout), { names: ['a1', 'a2'], count: 2 });
  const quiet = musterSync(['nodeset', 'count', 'db4[6-11]', '-q', '--json']);
  assert.deepEqual([quiet.code, JSON.parse(quiet.stdout), quiet.stderr], [0, { count: 366 }, '']);
});

test('check --json on an invalid inventory prints its problems as JSON, with their places; exit 2', () => {
  const path = join(work, 'bad.yaml');
  writeFileSync(path, 'version: 1\nhosts:\n  web1: {address: 10.0.0.1, roles: [nope]}\n  db[1-3]:\n    address: 10.0.1.[1-2]\n');
  const ran = musterSync(['check', '-i', path, '--json']);
  assert.equal(ran.code, 2);
  assertNoStack(ran.stderr);
  const record = JSON.parse(ran.stdout) as { ok: boolean; problems: { message: string; file: string; line: number; col: number }[] };
  assert.equal(record.ok, false);
  assert.deepEqual(record.problems.map((problem) => [problem.line, problem.col]), [[3, 37], [5, 14]]);
  assert.match(record.problems[0]?.message ?? '', /unknown role "nope"/);
  assert.equal(record.problems[0]?.file, path);
  assert.equal(ran.stderr, 'muster: the inventory is not valid: 2 problems (in the JSON on stdout)\n');
  const missing = musterSync(['check', '-i', join(work, 'none.yaml'), '--json']);
  assert.equal(missing.code, 2);
  assert.match((JSON.parse(missing.stdout) as { problems: { message: string }[] }).problems[0]?.message ?? '', /none\.yaml does not exist/);
});

test('set -q edits and prints nothing; without -q it says what changed', () => {
  const path = join(work, 'fleet.yaml');
  writeFileSync(path, 'version: 1\nhosts:\n  web[1-2]:\n    address: 10.0.0.[1-2]\n');
  const quiet = musterSync(['set', '-i', path, 'web1', 'note=disk', '-q']);
  assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, '', '']);
  assert.match(readFileSync(path, 'utf8'), /note: disk/);
  const said = musterSync(['set', '-i', path, 'web2', 'note=fan']);
  assert.equal(said.code, 0);
  assert.match(said.stdout, /^web2: note \(unset\) → fan\n/m);
});

test('export --format ansible, an inventory script, prints no skip-state notice (ansible shows stderr as [ERROR])', () => {
  const path = join(work, 'states.yaml');
  writeFileSync(path, 'version: 1\nhosts:\n  web1: {address: 10.0.0.1}\n  web2: {address: 10.0.0.2, state: stop}\n');
  const ansible = musterSync(['export', '-i', path, '--format', 'ansible']);
  assert.deepEqual([ansible.code, ansible.stderr], [0, '']);
  assert.deepEqual(Object.keys((JSON.parse(ansible.stdout) as { _meta: { hostvars: object } })._meta.hostvars), ['web1']);
  assert.match(musterSync(['export', '-i', path]).stderr, /^muster: left out 1 host for their state \(stop: web2\)/);
});
