import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from './load.js';
import { select } from './select.js';
import type { Inventory } from './types.js';

let root: string;
let cacheDir: string;

const text = `defaults: { user: root, port: 2222, vars: { ntp: ntp1, dns: [a, b] } }
states: [ok, warn, stop]
skip_states: [stop]
ssh_config: ssh/config
roles:
  web: { description: front, vars: { http_port: 80, nested: { a: [1, 2] } }, files: { /etc/motd: { src: files/motd } } }
  db: { provision: { profile: deb12 } }
profiles: { deb12: { kernel: d-i/linux, initrd: d-i/initrd.gz } }
groups: { tokyo: "dc=tk1" }
checks: { ping: { command: "ping {{ host.address }}", on: web } }
hosts:
  web[01-20]: { roles: [web], address: "10.0.0.[1-20]", vars: { dc: tk1 } }
  db1: { roles: [db, web], state: stop, note: "disk", port: 22, vars: { http_port: 8080 } }
  db2: { roles: [db], files: { /etc/old: { absent: true } }, provision: { interfaces: { eth0: { mac: "52:54:00:00:00:02" } } } }
`;

/** Everything a consumer can see of an inventory, as plain data. */
function view(inventory: Inventory): unknown {
  return JSON.parse(JSON.stringify({
    ...inventory,
    hostsByName: [...inventory.hostsByName.keys()],
    roles: [...inventory.roles.values()],
    groups: [...inventory.groups.values()],
    checks: [...inventory.checks.values()],
  }));
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'muster-cache-'));
  cacheDir = join(root, 'cache');
  writeFileSync(join(root, 'muster.yaml'), text);
});

after(() => rmSync(root, { recursive: true, force: true }));

test('a cached inventory is the same as a parsed one, provenance included', async () => {
  const options = { cwd: root, env: {}, cache: { dir: cacheDir, minBytes: 0 } };
  const parsed = await loadInventory(options);
  assert.equal(readdirSync(cacheDir).length, 1);
  const cached = await loadInventory(options);
  assert.notEqual(cached, parsed);
  assert.deepEqual(view(cached), view(parsed));
  assert.deepEqual(cached.hostsByName.get('web07')?.provenance['http_port'], parsed.hostsByName.get('web07')?.provenance['http_port']);
  assert.deepEqual(cached.hostsByName.get('db2')?.provision?.places['interfaces\0eth0\0mac'], parsed.hostsByName.get('db2')?.provision?.places['interfaces\0eth0\0mac']);
  assert.ok(cached.profiles && cached.hostsByName.get('db2')?.files?.value['/etc/old']?.absent);
  assert.deepEqual(select(cached, ['web']).skipped.map((host) => host.name), ['db1']);
  assert.deepEqual(select(cached, ['tokyo']).hosts.length, 20);
  // Hosts stay independent after a cache read too.
  const [one, two] = cached.hosts;
  assert.ok(one && two);
  one.vars['dc'] = 'changed';
  assert.equal(two.vars['dc'], 'tk1');
});

test('an edit, a damaged file, or MUSTER_NO_CACHE: parsed again', async () => {
  const options = { cwd: root, env: {}, cache: { dir: cacheDir, minBytes: 0 } };
  await loadInventory(options);
  writeFileSync(join(root, 'muster.yaml'), text.replace('dc: tk1', 'dc: os1'));
  assert.equal((await loadInventory(options)).hostsByName.get('web01')?.vars['dc'], 'os1');
  const [file] = readdirSync(cacheDir);
  writeFileSync(join(cacheDir, file ?? ''), '{ not json');
  assert.equal((await loadInventory(options)).hosts.length, 22);
  const other = join(root, 'nocache');
  await loadInventory({ cwd: root, env: { MUSTER_NO_CACHE: '1' }, cache: { dir: other, minBytes: 0 } });
  assert.equal(existsSync(other), false);
  await loadInventory({ cwd: root, env: {}, cache: { dir: other, minBytes: 1 << 20 } });
  assert.equal(existsSync(other), false, 'an inventory under minBytes is not cached');
  await loadInventory({ cwd: root, env: {}, cache: { dir: other } });
  assert.equal(readdirSync(other).length, 1, 'small inventories are cached by default');
});

test('a cache folder keeps the maxFiles most recently written inventories', async () => {
  const dir = join(root, 'few');
  for (let i = 0; i < 5; i++) {
    const place = join(root, `place${i}`);
    mkdirSync(place, { recursive: true });
    writeFileSync(join(place, 'muster.yaml'), text);
    await loadInventory({ cwd: place, env: {}, cache: { dir, maxFiles: 3 } });
  }
  assert.equal(readdirSync(dir).length, 3);
  // The newest is among them: loading it again is a hit that writes nothing.
  const before = readdirSync(dir).sort();
  await loadInventory({ cwd: join(root, 'place4'), env: {}, cache: { dir, maxFiles: 3 } });
  assert.deepEqual(readdirSync(dir).sort(), before);
});
