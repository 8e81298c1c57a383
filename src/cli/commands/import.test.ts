import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoStack, assertUsageFailure, musterBin, musterSync } from './cli.test-helper.js';

const testdata = new URL('../../../src/cli/import/testdata/', import.meta.url).pathname;
const hasAnsible = spawnSync('ansible-inventory', ['--version'], { stdio: 'ignore' }).status === 0;
const hasNodeset = spawnSync('nodeset', ['--version'], { stdio: 'ignore' }).status === 0;
const noAnsible = hasAnsible ? false : 'ansible-inventory (Debian ansible-core) is not installed';

interface Listed { _meta: { hostvars: Record<string, Record<string, unknown>> }; [group: string]: unknown }

function scratch(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'muster-import-'));
  return { dir, env: { ...process.env, MUSTER_INVENTORY: '', ANSIBLE_HOME: dir, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp') } };
}

function ansibleList(source: string, env: NodeJS.ProcessEnv): Listed {
  return JSON.parse(execFileSync('ansible-inventory', ['-i', source, '--list'], { encoding: 'utf8', env })) as Listed;
}

/** Every host of a group, its children's included (ansible --list names only the direct ones). */
function members(list: Listed, group: string, seen = new Set<string>()): Set<string> {
  const entry = list[group] as { hosts?: string[]; children?: string[] } | undefined;
  const hosts = new Set(entry?.hosts ?? []);
  for (const child of entry?.children ?? []) {
    if (seen.has(child)) continue;
    seen.add(child);
    for (const host of members(list, child, seen)) hosts.add(host);
  }
  return hosts;
}

/**
 * Import FIXTURE, then read the muster.yaml back through `muster export --format ansible` in an
 * inventory script fed to the real ansible-inventory, and compare with what Ansible read from the original.
 */
function roundTrip(fixture: string): { original: Listed; back: Listed; yaml: string; stderr: string } {
  const { dir, env } = scratch();
  try {
    const out = join(dir, 'muster.yaml');
    const ran = musterSync(['import', 'ansible', join(testdata, fixture), '-o', out], { env });
    assert.equal(ran.code, 0, ran.stderr);
    const script = join(dir, 'inventory.sh');
    writeFileSync(script, `#!/bin/sh\nexec '${process.execPath}' '${musterBin}' export -i '${out}' --format ansible --all-states\n`);
    chmodSync(script, 0o755);
    return { original: ansibleList(join(testdata, fixture), env), back: ansibleList(script, { ...env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' }), yaml: readFileSync(out, 'utf8'), stderr: ran.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertSameFleet(original: Listed, back: Listed, ignoredVars: string[]): void {
  assert.deepEqual(Object.keys(back._meta.hostvars).sort(), Object.keys(original._meta.hostvars).sort());
  for (const group of Object.keys(original).filter((name) => !['_meta', 'all', 'ungrouped'].includes(name))) {
    assert.deepEqual([...members(back, group)].sort(), [...members(original, group)].sort(), `group ${group}`);
  }
  for (const [host, vars] of Object.entries(original._meta.hostvars)) {
    const got = back._meta.hostvars[host] ?? {};
    for (const [key, value] of Object.entries(vars)) {
      if (ignoredVars.includes(key)) continue;
      assert.deepEqual(got[key], value, `${host} ${key}`);
    }
    if (vars['ansible_host'] === undefined) assert.equal(got['ansible_host'], host, `${host} connects to its name`);
  }
}

test('import ansible INI: ansible-inventory reads the muster.yaml back with the same hosts, groups and vars', { skip: noAnsible }, () => {
  const { original, back, yaml, stderr } = roundTrip('ansible.ini');
  assertSameFleet(original, back, ['ansible_connection']);
  assert.match(yaml, /^ {2}web\[01-20\]\.example\.lan: \{ roles: \[ web \], vars: \{ dc: tk1 \} \}$/m, 'a range is one entry');
  assert.match(yaml, /^ {2}tokyo: web,db$/m, 'a parent group is a selector');
  assert.match(yaml, /^ {2}user: deploy$/m, 'all:vars ansible_user is the default user');
  assert.match(stderr, /^muster import: not mapped: ansible_connection on db1: an Ansible connection setting muster does not use; left out$/m);
  assert.match(stderr, /wrote .*muster\.yaml: 25 hosts, 2 roles, 1 group$/m);
});

test('import ansible YAML: nested children, structured vars and a host in two groups survive the round trip', { skip: noAnsible }, () => {
  const { original, back, yaml } = roundTrip('ansible.yaml');
  assertSameFleet(original, back, []);
  assert.match(yaml, /^ {2}web\[01-19\]: /m);
  assert.match(yaml, /^ {2}web20: \{ roles: \[ cache, web \]/m);
  assert.match(yaml, /^ {2}datacenter: frontend,db$/m);
});

test('import ansible: a shared ansible_host stays with the first host and is said; the result loads', { skip: noAnsible }, () => {
  const { dir, env } = scratch();
  try {
    writeFileSync(join(dir, 'inv.ini'), '[web]\nweb1 ansible_host=10.0.0.1\nweb2 ansible_host=10.0.0.1 ansible_port=2222\n');
    const ran = musterSync(['import', 'ansible', join(dir, 'inv.ini')], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /web1: \{ roles: \[ web \], address: 10\.0\.0\.1 \}/);
    assert.match(ran.stderr, /host web2: ansible_host 10\.0\.0\.1 is already web1's/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import ansible: a dynamic-inventory script is run by ansible-inventory; a 20-host run folds with its addresses', { skip: noAnsible }, () => {
  const { dir, env } = scratch();
  try {
    const hostvars = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`n${String(i + 1).padStart(2, '0')}`, { ansible_host: `10.2.0.${i + 1}` }]));
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify({ _meta: { hostvars }, all: { children: ['compute'] }, compute: { hosts: Object.keys(hostvars), vars: { slurm: true } } }));
    writeFileSync(join(dir, 'inventory.sh'), `#!/bin/sh\nexec cat '${join(dir, 'fleet.json')}'\n`);
    chmodSync(join(dir, 'inventory.sh'), 0o755);
    const ran = musterSync(['import', 'ansible', join(dir, 'inventory.sh')], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^ {2}n\[01-20\]: \{ roles: \[ compute \], address: "10\.2\.0\.\[1-20\]" \}$/m);
    assert.match(ran.stdout, /^ {2}compute: \{ vars: \{ slurm: true \} \}$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import: an existing -o file is refused without --force, a bad source is one line, nothing is left behind', { skip: noAnsible }, () => {
  const { dir, env } = scratch();
  try {
    const out = join(dir, 'muster.yaml');
    writeFileSync(out, 'keep me\n');
    assertUsageFailure(musterSync(['import', 'hosts', join(testdata, 'hosts'), '-o', out], { env }), /^muster: .*muster\.yaml exists; add --force to replace it$/m);
    assert.equal(readFileSync(out, 'utf8'), 'keep me\n');
    assert.equal(musterSync(['import', 'hosts', join(testdata, 'hosts'), '-o', out, '--force'], { env }).code, 0);
    assert.match(readFileSync(out, 'utf8'), /^version: 1$/m);
    writeFileSync(join(dir, 'bad.ini'), '[web\nweb1\n');
    const bad = musterSync(['import', 'ansible', join(dir, 'bad.ini')], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^muster: ansible-inventory -i .*bad\.ini failed: no inventory plugin could parse it \(ini: /m);
    assertNoStack(bad.stderr);
    assert.deepEqual(readdirSync(dir).filter((name) => name.includes('muster.yaml') && name !== 'muster.yaml'), [], 'no temp file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import hosts: address → name, aliases in the note, loopback skipped, addresses folded', () => {
  const ran = musterSync(['import', 'hosts', join(testdata, 'hosts')]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^ {2}node\[01-03\]: \{ address: "10\.1\.0\.\[1-3\]" \}$/m);
  assert.match(ran.stdout, /^ {2}gw: \{ address: 10\.1\.0\.254, note: "aliases: gateway router" \}$/m);
  assert.doesNotMatch(ran.stdout, /localhost|127\.0\.0\.1/);
  assert.match(ran.stderr, /node01 is already on line \d+; this line \(fd00::1\) is left out/);
});

test('import clush: each group a role holding what `nodeset -f @source:group` says; groups.conf read too', { skip: hasNodeset ? false : 'ClusterShell (nodeset) is not installed' }, () => {
  const { dir, env } = scratch();
  try {
    // A ClusterShell configuration of our own: groups.conf with the fixture in its autodir.
    mkdirSync(join(dir, 'groups.d'));
    copyFileSync(join(testdata, 'clush.yaml'), join(dir, 'groups.d', 'cluster.yaml'));
    writeFileSync(join(dir, 'groups.conf'), `[Main]\ndefault: roles\nautodir: ${join(dir, 'groups.d')}\n`);
    for (const from of [join(testdata, 'clush.yaml'), join(dir, 'groups.conf')]) {
      const out = join(dir, 'muster.yaml');
      const ran = musterSync(['import', 'clush', from, '-o', out, '--force'], { env });
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stderr, /group roles:all \(clush -a's hosts\) is not a role/);
      for (const [source, group] of [['roles', 'compute'], ['roles', 'gpu'], ['roles', 'io'], ['roles', 'adm'], ['racks', 'rack2'], ['racks', 'rack3']] as const) {
        const expected = execFileSync('nodeset', ['-f', `@${source}:${group}`], { encoding: 'utf8', env: { ...env, CLUSTERSHELL_CFGDIR: dir } }).trim();
        const got = musterSync(['ls', '-i', out, group, '-o', 'fold']).stdout.trim();
        assert.equal(got, expected, `@${source}:${group} from ${from}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import clush: the flat "group: nodeset" file', () => {
  const { dir, env } = scratch();
  try {
    writeFileSync(join(dir, 'groups'), '# clush groups\nweb: web[01-04] web05\ndb: db[1-2],web05\n');
    const ran = musterSync(['import', 'clush', join(dir, 'groups')], { env });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^ {2}web\[01-04\]: \{ roles: \[ web \] \}$/m);
    assert.match(ran.stdout, /^ {2}web05: \{ roles: \[ web, db \] \}$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
