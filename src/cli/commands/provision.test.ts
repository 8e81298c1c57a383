import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureFolder } from '../../provision/fixture.test-helper.js';
import { assertNoStack, musterSync } from './cli.test-helper.js';

const folders: string[] = [];
after(() => { for (const dir of folders) rmSync(dir, { recursive: true, force: true }); });
function fleet(edit?: (text: string) => string): string {
  const dir = fixtureFolder(edit);
  folders.push(dir);
  return dir;
}

describe('muster provision', () => {
  it('check: ok on a valid fleet; exit 1 with every problem at file:line:col, no stack', () => {
    const ok = musterSync(['provision', 'check'], { cwd: fleet() });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'provisioning: 4 hosts (3 netboot on), 3 profiles — ok\n');
    const bad = musterSync(['provision', 'check'], { cwd: fleet((t) => t.replace('mac: "52:54:00:00:00:12"', 'mac: "52:54:00:00:00:11"').replace('profile: ubuntu24', 'profile: ubuntu42')) });
    assert.equal(bad.code, 1, bad.stderr);
    assertNoStack(bad.stderr);
    assert.match(bad.stderr, /^muster: Cannot load the provisioning: muster\.yaml:33:\d+: web1\.example\.lan: duplicate MAC 52:54:00:00:00:11: also web2\.example\.lan interface eth0 at muster\.yaml:41:\d+\n {2}muster\.yaml:41:\d+: web2\.example\.lan: duplicate MAC .* at muster\.yaml:33:\d+\n {2}muster\.yaml:52:7: edge1\.example\.lan: unknown profile "ubuntu42"/);
    const json = musterSync(['provision', 'check', '--json'], { cwd: fleet((t) => t.replace('profile: ubuntu24', 'profile: ubuntu42')) });
    assert.equal(json.code, 1);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines[0], { message: 'edge1.example.lan: unknown profile "ubuntu42" (profiles: debian12, rocky9, ubuntu24)', file: 'muster.yaml', line: 52, col: 7 });
  });

  it('sync -o writes, an unchanged sync says so, --check prints the diff and exits 1', () => {
    const dir = fleet();
    const out = join(dir, 'out');
    const first = musterSync(['provision', 'sync', '-o', out, '--url', 'http://10.0.0.1:8080'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^created {3}dnsmasq\.conf$/m);
    assert.match(first.stderr, /muster: 4 hosts \(3 netboot on\): 25 created, 0 changed, 0 removed, 0 unchanged\n$/);
    const again = musterSync(['provision', 'sync', '-o', out, '--url', 'http://10.0.0.1:8080'], { cwd: dir });
    assert.equal(again.stderr, 'muster: 4 hosts (3 netboot on): 0 created, 0 changed, 0 removed, 25 unchanged\n');
    writeFileSync(join(dir, 'muster.yaml'), readFileSync(join(dir, 'muster.yaml'), 'utf8').replace('ip: 10.0.0.11,', 'ip: 10.0.0.15,'));
    const check = musterSync(['provision', 'sync', '-o', out, '--url', 'http://10.0.0.1:8080', '--check'], { cwd: dir });
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stdout, /^--- dhcp-hosts\n\+\+\+ dhcp-hosts \(generated\)\n@@ .*\n(?:.*\n)*-52:54:00:00:00:11,set:netboot,10\.0\.0\.11,web1\n\+52:54:00:00:00:11,set:netboot,10\.0\.0\.15,web1\n/m);
    assert.match(check.stderr, /muster: 2 files out of date\n/);
    assert.equal(readFileSync(join(out, 'dhcp-hosts'), 'utf8').includes('10.0.0.11'), true, '--check wrote nothing');
  });

  it('enable/disable flip netboot in the YAML, comments and layout kept; an unknown host is one clear line', () => {
    const dir = fleet();
    const file = join(dir, 'muster.yaml');
    const before = readFileSync(file, 'utf8');
    const on = musterSync(['provision', 'enable', 'web2.example.lan'], { cwd: dir });
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /^web2\.example\.lan: netboot false → true; wrote .*muster\.yaml\n$/);
    const text = readFileSync(file, 'utf8');
    assert.equal(text, before.replace('      netboot: false\n', '      netboot: true\n'), 'only that value changed; the comment above it is kept');
    const off = musterSync(['provision', 'disable', 'web1.example.lan'], { cwd: dir });
    assert.equal(off.code, 0, off.stderr);
    assert.match(readFileSync(file, 'utf8'), / {2}web1\.example\.lan:\n {4}roles: \[web\]\n {4}address: 10\.0\.0\.11\n {4}provision:\n {6}interfaces:\n {8}eth0: .*\n {6}netboot: false\n/);
    const plain = musterSync(['provision', 'enable', 'plain.example.lan'], { cwd: dir });
    assert.equal(plain.code, 2, 'netboot without interface or profile is refused: the edit would make the provisioning invalid');
    assert.match(plain.stderr, /^muster: Refusing the edit .*: muster\.yaml:\d+:\d+: plain\.example\.lan: netboot is on but the host has no interface/);
    assertNoStack(plain.stderr);
    const same = musterSync(['provision', 'disable', 'web1.example.lan'], { cwd: dir });
    assert.match(same.stdout, /nothing to write/);
    const unknown = musterSync(['provision', 'enable', 'nope.lan'], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^muster: No host named "nope.lan" in the inventory\n/);
  });
});
