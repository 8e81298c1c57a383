/**
 * `setNetboot` and the parse cache: like `muster set`, `provision enable|disable` leaves
 * the inventory it wrote (and parsed to check) in the cache, so the `provision sync` that
 * follows it reads that instead of parsing the whole YAML again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheSlot, readCache } from './cache.js';
import { setNetboot } from './editProvision.js';
import { loadInventory } from './load.js';
import type { Inventory } from './types.js';

const fleet = `profiles:
  deb:
    kernel: linux
    initrd: initrd.gz
    installer: { kind: preseed, template: preseed.cfg.liquid }
hosts:
  web1:
    provision: # reinstall by setting this
      profile: deb
      netboot: false
      interfaces: { eth0: { mac: "52:54:00:00:00:01", ip: 10.0.0.1 } }
  web2: {}
`;

test('provision enable leaves what it wrote in the parse cache, as a fresh parse of the file makes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-netboot-cache-'));
  const cache = { dir: join(dir, 'cache'), minBytes: 0 };
  try {
    writeFileSync(join(dir, 'muster.yaml'), fleet);
    const edit = await setNetboot({ cwd: dir, env: {}, cache, host: 'web1', netboot: true });
    assert.deepEqual(edit.written, [join(dir, 'muster.yaml')]);
    const text = readFileSync(join(dir, 'muster.yaml'), 'utf8');
    assert.equal(text, fleet.replace('netboot: false', 'netboot: true'));
    const cached = readCache(cacheSlot([{ path: 'muster.yaml', text }], dir, cache.dir));
    assert.ok(cached, 'the edited inventory is in the cache');
    const fresh = await loadInventory({ cwd: dir, env: {} });
    assert.equal(cached.hostsByName.get('web1')?.provision?.value.netboot, true);
    assert.deepEqual(cached.files, fresh.files);
    // As JSON: the cache gives plain objects where the parser makes null-prototype ones (places).
    const shown = (inventory: Inventory) => JSON.stringify(inventory.hosts.map((host) => [host.name, host.provision, host.provenance]));
    assert.equal(shown(cached), shown(fresh));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
