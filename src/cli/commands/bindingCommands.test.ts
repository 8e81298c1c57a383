// export and set run as real processes: exit codes, stdout, stderr, no stack traces, files on disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertUsageFailure, musterSync, type Ran } from './cli.test-helper.js';

const fixture = fileURLToPath(new URL('../../../src/bindings/testdata/fleet.yaml', import.meta.url));
let root: string;

function muster(args: string[], cwd = root): Ran {
  return musterSync(args, { cwd });
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'muster-cli-bind-'));
  writeFileSync(join(root, 'muster.yaml'), readFileSync(fixture, 'utf8').replaceAll('PWNDIR', join(root, 'pwned')));
});

after(() => rmSync(root, { recursive: true, force: true }));

test('muster export: sh by default, sourced by bash; hosts in skip_states left out with a note on stderr', () => {
  const result = muster(['export']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, 'muster: left out 1 host for their state (stop: db1.example.lan); add --all-states to include them\n');
  const got = execFileSync('bash', ['-c', 'eval "$1"; printf "%s|" "$MUSTER_ROLE_web" "$MUSTER_ROLE_db" "$MUSTER_HOST_odd_1_example_lan_VAR_semicolon"', 'bash', result.stdout], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(got, `web001.example.lan web002.example.lan web003.example.lan odd-1.example.lan||; touch ${join(root, 'pwned')}/semicolon|`);
  assert.equal(existsSync(join(root, 'pwned')), false);
  const all = muster(['export', 'db', '--all-states']);
  assert.equal(all.code, 0);
  assert.equal(all.stderr, '');
  assert.match(all.stdout, /^MUSTER_ROLE_db=db1\.example\.lan$/m);
});

test('muster export: each format; --json is --format json; -o writes the file atomically, mode 0644', () => {
  const json = muster(['export', '--json', 'web001.example.lan']);
  assert.equal(json.code, 0);
  assert.deepEqual(Object.keys((JSON.parse(json.stdout) as { hosts: object }).hosts), ['web001.example.lan']);
  const yaml = muster(['export', '-f', 'yaml', 'web001.example.lan']);
  assert.match(yaml.stdout, /^hosts:\n {2}web001\.example\.lan:\n {4}address: 127\.0\.0\.11\n/);
  const env = muster(['export', 'web002.example.lan', '--format', 'env', '--prefix', 'APP']);
  assert.match(env.stdout, /^APP_NAME=web002\.example\.lan\nAPP_ADDRESS=127\.0\.0\.12\n/);
  const ansible = muster(['export', '--format', 'ansible']);
  assert.ok((JSON.parse(ansible.stdout) as { _meta: object })._meta);
  const out = join(root, 'fleet.sh');
  const written = muster(['export', '-o', out, '-q']);
  assert.equal(written.code, 0);
  assert.equal(written.stdout, '');
  assert.equal(written.stderr, '');
  assert.equal(readFileSync(out, 'utf8'), muster(['export']).stdout);
  assert.equal(statSync(out).mode & 0o777, 0o644);
});

test('muster export: bad input is one line and exit 2', () => {
  assertUsageFailure(muster(['export', '--format', 'env']), /^muster: left out 1 host .*\nmuster: --format env exports one host, and the selection has 4: odd-1\.example\.lan,web\[001-003\]\.example\.lan\n/);
  assertUsageFailure(muster(['export', '--format', 'xml']), /argument 'xml' is invalid/);
  assertUsageFailure(muster(['export', '--json', '--format', 'sh']), /--json conflicts with --format sh/);
  assertUsageFailure(muster(['export', '--prefix', 'a-b']), /^muster: Invalid --prefix "a-b"/);
  assertUsageFailure(muster(['export', 'web&(']), /Invalid selector/);
  assertUsageFailure(muster(['export', 'nosuchhost']), /"nosuchhost" is not a role, group or host/);
  assertUsageFailure(muster(['export'], tmpdir()), /Cannot load inventory|no inventory/i);
  assertUsageFailure(muster(['export', '-o', join(root, 'no', 'such', 'dir', 'x.sh')]), /^muster: Cannot write .*no\/such\/dir\/x\.sh: ENOENT/m);
});

test('muster set: edits the file, prints old → new with folded hosts; refusals exit 2 and leave the file alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-cli-set-'));
  try {
    cpSync(join(root, 'muster.yaml'), join(dir, 'muster.yaml'));
    const file = join(dir, 'muster.yaml');
    const original = readFileSync(file, 'utf8');
    const result = muster(['set', 'web[001-002].example.lan', 'state=warn', 'vars.http_port=8080'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, [
      'split web[001-003].example.lan (muster.yaml:19) into web003.example.lan and web[001-002].example.lan',
      'web[001-002].example.lan (2 hosts): state ok → warn',
      'web[001-002].example.lan (2 hosts): vars.http_port 80 → 8080',
      'wrote muster.yaml', '',
    ].join('\n'));
    const edited = readFileSync(file, 'utf8');
    assert.equal(edited.split('\n').filter((line) => line.startsWith('#')).join('\n'), original.split('\n').filter((line) => line.startsWith('#')).join('\n'));
    const ls = muster(['ls', 'state:warn', '-o', 'names'], dir);
    assert.equal(ls.stdout, 'web001.example.lan\nweb002.example.lan\nodd-1.example.lan\n');

    assertUsageFailure(muster(['set', 'web003.example.lan', 'state=bogus'], dir), /^muster: Refusing the edit: unknown state "bogus" \(states: ok, warn, stop\); nothing was written\n$/);
    assertUsageFailure(muster(['set', 'web003.example.lan', 'roles=db'], dir), /Cannot set "roles"/);
    assertUsageFailure(muster(['set', 'web003.example.lan'], dir), /Nothing to set/);
    assertUsageFailure(muster(['set', 'web(', 'state=ok'], dir), /Invalid selector/);
    assertUsageFailure(muster(['set', 'db', 'state=ok'], dir), /matches no host \(1 left out for their state; add --all-states\)/);
    assert.equal(readFileSync(file, 'utf8'), edited);

    const dry = muster(['set', 'web003.example.lan', '--unset', 'vars.dc', '-n', '--json'], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(dry.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown), [
      { type: 'change', field: 'vars.dc', hosts: 'web003.example.lan', count: 1, old: 'tk1', new: null, unset: { old: false, new: true } },
      { type: 'summary', files: ['muster.yaml'], written: false },
    ]);
    assert.equal(readFileSync(file, 'utf8'), edited);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
