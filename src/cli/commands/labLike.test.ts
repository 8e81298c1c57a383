/**
 * `muster lab up --like SEL` end to end: a lab standing in for 3 real hosts
 * (roles, vars, managed files as the real inventory says; the lab's addresses),
 * reached over SSH under the real names; `lab down` removes it and leaves the
 * repository it linked to alone. Needs root and openssh-server; skipped otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { declaredFiles, inventoryRoot } from '../../inventory/managedFiles.js';
import { loadInventory } from '../../inventory/load.js';
import { labDown, labUnavailableReason } from '../../lab/index.js';
import { assertUsageFailure, muster as runMuster } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

const realYaml = `# the real fleet
version: 1
defaults:
  vars: { ntp: ntp1.example.lan }
roles:
  web:
    description: front ends
    vars: { http_port: 80, muster_transport: ssh }
    files:
      /etc/app.conf: { src: files/web/etc/app.conf, mode: "0644", owner: "root:root", then: "true" }
  db: {}
hosts:
  web[01-02].example.lan:
    address: 192.0.2.[1-2]
    port: 2222
    roles: [web]
    vars: { dc: tk1 }
  web03.example.lan:
    address: 192.0.2.3
    roles: [web]
    state: warn
    vars: { dc: tk2 }
    files:
      /etc/app.conf: { src: files/host/web03.example.lan/etc/app.conf }
  db01.example.lan: { roles: [db] }
`;

describe('muster lab up --like', { skip: unavailable ?? false }, () => {
  const name = `adopt-like-${process.pid}`;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const muster = (args: string[], extra: NodeJS.ProcessEnv = {}) => runMuster(args, { env: { ...env, ...extra }, cwd: repo });

  before(async () => {
    await mkdir('/work/tmp', { recursive: true });
    repo = await mkdtemp('/work/tmp/like-test-');
    await mkdir(join(repo, '.git'));
    await mkdir(join(repo, 'files/web/etc'), { recursive: true });
    await mkdir(join(repo, 'files/host/web03.example.lan/etc'), { recursive: true });
    await writeFile(join(repo, 'files/web/etc/app.conf'), 'workers 2\n');
    await writeFile(join(repo, 'files/host/web03.example.lan/etc/app.conf'), 'workers 4\n');
    await writeFile(join(repo, 'muster.yaml'), realYaml);
    env = { ...process.env, MUSTER_INVENTORY: '', MUSTER_NO_CACHE: '1', MUSTER_STATE_DIR: join(repo, '.state'), NO_COLOR: '1' };
  });

  after(async () => {
    await labDown(name).catch(() => undefined);
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  test('3 hosts named, roled and given files like the real ones; reachable under their real names; down cleans up', async () => {
    // From another folder, the real inventory named with --from.
    const up = await runMuster(['lab', 'up', '--like', 'web', '--from', join(repo, 'muster.yaml'), '--name', name], { env, cwd: '/' });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /^ {2}like {8}web\[01-03\]\.example\.lan of .*\/muster\.yaml, roles web$/m);
    const likePath = /^ {2}inventory {3}(\S+like\/muster\.yaml) \(the real names/m.exec(up.stdout)?.[1] ?? '';
    assert.ok(existsSync(likePath), up.stdout);

    const real = await loadInventory({ path: join(repo, 'muster.yaml') });
    const like = await loadInventory({ path: likePath });
    assert.deepEqual(like.hosts.map((host) => host.name), ['web01.example.lan', 'web02.example.lan', 'web03.example.lan']);
    const root = inventoryRoot(like);
    for (const host of like.hosts) {
      const twin = real.hostsByName.get(host.name)!;
      assert.deepEqual(host.roles, twin.roles);
      assert.equal(host.state, twin.state);
      const { muster_transport: _transport, ...vars } = twin.vars;
      assert.deepEqual(host.vars, vars);
      for (const key of Object.keys(vars)) assert.equal(host.provenance[key]?.layer, twin.provenance[key]?.layer, key);
      assert.match(host.address, /^127\.\d+\.0\.[1-3]$/);
      assert.equal(host.port, undefined);
      const files = (inventory: typeof like, h: typeof host) => declaredFiles(inventory, h).files.map((file) => [file.path, file.spec, file.layer]);
      assert.deepEqual(files(like, host), files(real, twin));
      // Every src resolves in the lab's root to the repository's own file.
      for (const file of declaredFiles(like, host).files) {
        assert.equal(await readFile(join(root, file.spec.src!), 'utf8'), await readFile(join(inventoryRoot(real), file.spec.src!), 'utf8'));
      }
    }
    assert.equal(like.hostsByName.get('web03.example.lan')?.files?.value['/etc/app.conf']?.src, 'files/host/web03.example.lan/etc/app.conf');

    const ls = await muster(['ls', '--all-states'], { MUSTER_INVENTORY: likePath });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^web03\.example\.lan +127\.\d+\.0\.3 +warn +web$/m);
    const ran = await muster(['run', 'all', '--all-states', '--', 'cat /etc/hostname'], { MUSTER_INVENTORY: likePath });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stderr, /3 hosts: 3 ok/);

    const down = await muster(['lab', 'down', '--name', name]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(existsSync(likePath), false);
    assert.equal(await readFile(join(repo, 'files/web/etc/app.conf'), 'utf8'), 'workers 2\n');
  });

  test('bad input: one clear line', async () => {
    assertUsageFailure(await muster(['lab', 'up', '3', '--like', 'web', '--name', name]), /^muster: --like gives the lab one host per selected host, with their roles: no count or --roles with it$/m);
    assertUsageFailure(await muster(['lab', 'up', '--like', 'cache', '--name', name]), /^muster: Invalid selector: "cache" is not a role, group or host$/m);
    assertUsageFailure(await muster(['lab', 'up', '--from', 'muster.yaml', '--name', name]), /^muster: --from names the real inventory of --like: give --like SEL with it$/m);
    assertUsageFailure(await muster(['lab', 'up', '--like', 'web', '--from', 'nowhere.yaml', '--name', name]), /^muster: Cannot load inventory: nowhere\.yaml does not exist$/m);
  });
});
