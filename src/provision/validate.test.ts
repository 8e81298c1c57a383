import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProblem, InvalidFileError } from '../core/errors.js';
import { fixtureInventory } from './fixture.test-helper.js';
import { resolveProvision } from './model.js';
import { checkProvision } from './validate.js';

const messages = (edit: (text: string) => string): string[] => checkProvision(fixtureInventory(edit)).problems.map(formatProblem);

describe('provision model', () => {
  it('resolves role defaults under the host entry, each value placed where it was written', () => {
    const inventory = fixtureInventory();
    const web2 = resolveProvision(inventory, inventory.hostsByName.get('web2.example.lan')!)!;
    assert.equal(web2.profile?.value, 'debian12');
    assert.equal(web2.netboot.value, false, 'the host entry says false over the role\'s true');
    assert.equal(web2.netboot.at.line, 39);
    assert.equal(web2.kopts?.value, 'console=ttyS0');
    assert.equal(web2.kopts?.at.line, 21, 'kopts comes from the role web');
    assert.equal(resolveProvision(inventory, inventory.hostsByName.get('plain.example.lan')!), undefined);
  });

  it('the valid fleet has no problem and one plan per provisioned host, booting the marked interface', () => {
    const checked = checkProvision(fixtureInventory());
    assert.deepEqual(checked.problems, []);
    assert.deepEqual(checked.plans.map((p) => p.host.name), ['web1.example.lan', 'web2.example.lan', 'db1.example.lan', 'edge1.example.lan']);
    assert.equal(checked.plans.find((p) => p.host.name === 'db1.example.lan')?.boot.name, 'eth1');
    assert.equal(checked.plans[0]?.hostname, 'web1');
    assert.equal(checked.plans[0]?.domain, 'example.lan');
  });
});

describe('provision validation', () => {
  it('a duplicate MAC is said at both places, each naming the other record and its place', () => {
    const found = messages((t) => t.replace('mac: "52:54:00:00:00:12"', 'mac: "52:54:00:00:00:11"'));
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found[0]!, /fleet\.yaml:33:\d+: web1\.example\.lan: duplicate MAC 52:54:00:00:00:11: also web2\.example\.lan interface eth0 at .*fleet\.yaml:41:\d+$/);
    assert.match(found[1]!, /fleet\.yaml:41:\d+: web2\.example\.lan: duplicate MAC 52:54:00:00:00:11: also web1\.example\.lan interface eth0 at .*fleet\.yaml:33:\d+$/);
  });

  it('an interface IP that is another host\'s inventory address is a duplicate; a host\'s own address is not', () => {
    const found = messages((t) => t.replace('ip: 10.0.0.12,', 'ip: 10.0.0.99,'));
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found.join('\n'), /:41:\d+: web2\.example\.lan: duplicate IP 10\.0\.0\.99: also plain\.example\.lan address at .*fleet\.yaml:57:\d+/);
    assert.match(found.join('\n'), /:57:\d+: plain\.example\.lan: duplicate IP 10\.0\.0\.99: also web2\.example\.lan interface eth0 at .*fleet\.yaml:41:/);
  });

  it('a duplicate hostname (the first label) across domains is refused', () => {
    const found = messages((t) => t.replace('edge1.example.lan:', 'web1.other.lan:'));
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found[0]!, /web1\.example\.lan: duplicate hostname web1: also web1\.other\.lan at/);
  });

  it('finds every problem in one pass: unknown profile, dhcp with ip, two boot interfaces, netboot without interface or profile', () => {
    const found = messages((t) => t
      .replace('profile: ubuntu24', 'profile: ubuntu42')
      .replace('eth1: { mac: "52:54:00:00:01:21", dhcp: true, boot: true }', 'eth1: { mac: "52:54:00:00:01:21", dhcp: true, ip: 10.0.0.22, boot: true }\n        eth2: { mac: "52:54:00:00:02:21", dhcp: true, boot: true }')
      .replace('  plain.example.lan:\n    address: 10.0.0.99', '  plain.example.lan:\n    address: 10.0.0.99\n    provision: { netboot: true }'));
    const all = found.join('\n');
    assert.match(all, /:\d+:\d+: edge1\.example\.lan: unknown profile "ubuntu42" \(profiles: debian12, rocky9, ubuntu24\)/);
    assert.match(all, /:48:\d+: db1\.example\.lan: interface eth1 has both "dhcp: true" and an ip/);
    assert.match(all, /:49:\d+: db1\.example\.lan: two boot interfaces: eth2 and eth1 \(at .*:48:\d+\)/);
    assert.match(all, /plain\.example\.lan: netboot is on but the host has no interface/);
    assert.match(all, /plain\.example\.lan: netboot is on but no profile is given/);
    assert.equal(found.length, 5, all);
  });

  it('a bad MAC or IP is refused by the schema at its file:line:col', () => {
    assert.throws(() => fixtureInventory((t) => t.replace('mac: "52:54:00:00:00:12"', 'mac: "52:54:00:00:12"').replace('ip: 10.0.0.31', 'ip: 10.0.0.310')), (error: unknown) => {
      assert.ok(error instanceof InvalidFileError);
      const all = error.problems.map(formatProblem).join('\n');
      assert.match(all, /fleet\.yaml:41:\d+: .*MAC address is six hex pairs/);
      assert.match(all, /fleet\.yaml:55:\d+: .*IPv4/i);
      return true;
    });
  });
});
