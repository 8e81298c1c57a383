/**
 * A sync that skips unchanged hosts must still leave DIR exactly as a full
 * sync would: each case compares the folder with a fresh sync of the same
 * inventory into an empty one, and a file edited by hand in DIR tells whether
 * a host was skipped (a kept host's file is left; `full` puts it back).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InventoryReparser, parseInventory } from '../inventory/index.js';
import { bootMenus } from './bootConfigs.js';
import { outputFormat } from './fingerprint.js';
import { fixtureFolder, fixtureInventory, fixturePath, outputFolders, treeContents } from './fixture.test-helper.js';
import { manifestName } from './manifest.js';
import { syncProvision } from './sync.js';
import { checkProvision } from './validate.js';

const { fresh: freshDir } = outputFolders('fingerprint');
const url = 'http://10.0.0.1:8080';
const web1Preseed = 'installer/web1.example.lan/preseed.cfg';

/** What a sync of `inventory` into an empty folder writes. */
async function fromScratch(inventory: ReturnType<typeof fixtureInventory>): Promise<Map<string, string>> {
  const dir = freshDir();
  await syncProvision(inventory, { dir, url });
  return treeContents(dir);
}

describe('provision sync skips the hosts that did not change', () => {
  it('an unchanged sync renders and reads no host file: one edited by hand stays until sync --full', async () => {
    const dir = freshDir();
    const first = await syncProvision(fixtureInventory(), { dir, url });
    writeFileSync(join(dir, web1Preseed), 'edited by hand\n');
    const again = await syncProvision(fixtureInventory(), { dir, url });
    assert.deepEqual([again.created, again.changed, again.removed], [[], [], []]);
    assert.equal(again.unchanged, first.created.length);
    assert.equal(readFileSync(join(dir, web1Preseed), 'utf8'), 'edited by hand\n', 'a kept host is not compared');
    const full = await syncProvision(fixtureInventory(), { dir, url, full: true });
    assert.deepEqual(full.changed, [web1Preseed]);
    assert.deepEqual(treeContents(dir), await fromScratch(fixtureInventory()));
  });

  it('a one-host change renders that host alone; an edit that only moves lines renders none', async () => {
    const dir = freshDir();
    await syncProvision(fixtureInventory(), { dir, url });
    const edit = (text: string): string => text.replace('ip: 10.0.0.11,', 'ip: 10.0.0.111,');
    const changed = await syncProvision(fixtureInventory(edit), { dir, url });
    assert.deepEqual(changed.changed.sort(), ['dhcp-hosts', web1Preseed]);
    assert.deepEqual(treeContents(dir), await fromScratch(fixtureInventory(edit)));
    // A var the template reads is part of what the host is made of.
    const mirrored = (text: string): string => edit(text).replace('    address: 10.0.0.11\n', '    address: 10.0.0.11\n    vars: { mirror: mirror.example.lan }\n');
    const varChanged = await syncProvision(fixtureInventory(mirrored), { dir, url });
    assert.deepEqual(varChanged.changed, [web1Preseed]);
    assert.match(readFileSync(join(dir, web1Preseed), 'utf8'), /mirror\/http\/hostname string mirror\.example\.lan/);
    // Ten comment lines on top move every host's file:line, and nothing it is made of.
    const moved = (text: string): string => `${'# a comment\n'.repeat(10)}${mirrored(text)}`;
    const after = await syncProvision(fixtureInventory(moved), { dir, url });
    assert.deepEqual([after.created, after.changed, after.removed], [[], [], []]);
  });

  it('as serve keeps it (the inventory read again entry by entry, hosts kept object for object): each sync leaves DIR as one from scratch, another URL re-renders every host', async () => {
    const dir = freshDir();
    const text = readFileSync(fixturePath, 'utf8');
    const reparser = new InventoryReparser();
    await syncProvision(reparser.parse([{ path: fixturePath, text }]), { dir, url });
    const edit = (t: string): string => t.replace('ip: 10.0.0.11,', 'ip: 10.0.0.111,');
    const inventory = reparser.parse([{ path: fixturePath, text: edit(text) }]);
    assert.equal(reparser.lastWay, 'one entry');
    const changed = await syncProvision(inventory, { dir, url });
    assert.deepEqual(changed.changed.sort(), ['dhcp-hosts', web1Preseed]);
    assert.deepEqual(treeContents(dir), await fromScratch(fixtureInventory(edit)));
    const moved = await syncProvision(inventory, { dir, url: 'http://10.0.0.2:8080' });
    assert.ok(moved.changed.includes(web1Preseed) && moved.changed.some((path) => path.startsWith('tftp/pxelinux.cfg/01-')), moved.changed.join(' '));
  });

  it('agents coming into the inventory re-render every answer file (they then enroll their host\'s agent)', async () => {
    const dir = freshDir();
    await syncProvision(fixtureInventory(), { dir, url });
    const withAgents = (text: string): string => `agents:\n  servers: [tls://10.0.0.1:4222]\n${text}`;
    const report = await syncProvision(fixtureInventory(withAgents), { dir, url });
    assert.ok(report.changed.includes(web1Preseed), report.changed.join(' '));
    assert.match(readFileSync(join(dir, web1Preseed), 'utf8'), /enroll\.sh/);
    assert.deepEqual(treeContents(dir), await fromScratch(fixtureInventory(withAgents)));
  });

  it('a MAC moved to another host, or swapped between two, leaves every menu where its loader looks', async () => {
    const dir = freshDir();
    await syncProvision(fixtureInventory(), { dir, url });
    const moved = (text: string): string => text.replace('52:54:00:00:00:11', '52:54:00:00:00:aa');
    const report = await syncProvision(fixtureInventory(moved), { dir, url });
    assert.ok(report.removed.includes('tftp/pxelinux.cfg/01-52-54-00-00-00-11'), report.removed.join(' '));
    assert.ok(report.created.includes('tftp/pxelinux.cfg/01-52-54-00-00-00-aa'), report.created.join(' '));
    assert.deepEqual(treeContents(dir), await fromScratch(fixtureInventory(moved)));
    const swapped = (text: string): string => moved(text).replace('52:54:00:00:00:31', 'SWAP').replace('52:54:00:00:00:aa', '52:54:00:00:00:31').replace('SWAP', '52:54:00:00:00:aa');
    await syncProvision(fixtureInventory(swapped), { dir, url });
    assert.deepEqual(treeContents(dir), await fromScratch(fixtureInventory(swapped)));
  });

  it('a template that reads other hosts has its hosts rendered on every sync', async () => {
    const folder = fixtureFolder();
    const template = join(folder, 'templates/provision/debian-preseed.cfg.liquid');
    writeFileSync(template, `${readFileSync(template, 'utf8')}# peers: {{ host_list | size }}\n`);
    const inventory = (): ReturnType<typeof fixtureInventory> => parseInventory([{ path: join(folder, 'muster.yaml'), text: readFileSync(join(folder, 'muster.yaml'), 'utf8') }]);
    const dir = freshDir();
    await syncProvision(inventory(), { dir, url });
    writeFileSync(join(dir, web1Preseed), 'edited by hand\n');
    const again = await syncProvision(inventory(), { dir, url });
    assert.deepEqual(again.changed, [web1Preseed], 'web1 is compared: its preseed depends on the fleet');
    assert.match(readFileSync(join(dir, web1Preseed), 'utf8'), /# peers: 5\n$/);
    rmSync(folder, { recursive: true, force: true });
  });

  it('a manifest that is not muster\'s owns nothing: no host is kept, nothing is removed', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, manifestName), 'host\tweb1.example.lan\tx\t../../etc/passwd\n');
    writeFileSync(join(dir, 'keep-me'), 'mine\n');
    await syncProvision(fixtureInventory(), { dir, url });
    assert.equal(readFileSync(join(dir, 'keep-me'), 'utf8'), 'mine\n');
    assert.deepEqual(treeContents(dir), new Map([...(await fromScratch(fixtureInventory())), ['keep-me', 'mine\n']]));
  });

  it('the menus of a sample host are pinned to outputFormat: changing what sync writes must bump it', () => {
    const plan = checkProvision(fixtureInventory()).plans.find((p) => p.host.name === 'web1.example.lan') ?? assert.fail('web1');
    const digest = createHash('sha256').update(JSON.stringify(bootMenus(plan, url))).digest('hex').slice(0, 16);
    // When this fails: bump outputFormat in fingerprint.ts (every host renders once more), then pin the new digest here.
    assert.deepEqual({ outputFormat, digest }, { outputFormat: 1, digest: '24233a7550d406a1' });
  });
});
