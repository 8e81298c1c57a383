/**
 * `muster serve --provision-dir`: a real server on the provisioning fixture keeps DIR as a
 * `provision sync` of the same inventory into an empty folder writes it — at start, after the
 * installer's callback (the installed host's PXE files go), after a hand edit — and says in
 * its log when a sync could not write.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadInventory } from '../inventory/load.js';
import { fixtureFolder, outputFolders, treeContents } from '../provision/fixture.test-helper.js';
import { syncProvision } from '../provision/sync.js';
import { until } from '../cli/commands/cli.test-helper.js';
import { startServer } from './server.js';

const { fresh } = outputFolders('keeper');
const url = 'http://10.0.0.1:8080';

/** What a sync of the folder's inventory into an empty folder writes. */
async function fromScratch(dir: string): Promise<Map<string, string>> {
  const out = fresh();
  await syncProvision(await loadInventory({ path: join(dir, 'muster.yaml') }), { dir: out, url });
  return treeContents(out);
}

function recordingLog(notes: string[]) {
  return { log: () => undefined, note: (message: string, fields: Record<string, string | number> = {}) => { notes.push(`${message} ${JSON.stringify(fields)}`); }, flush: () => undefined };
}

describe('serve --provision-dir', () => {
  it('keeps the tree as provision sync writes it: at start, after the installer calls back, after an edit', async () => {
    const dir = fixtureFolder();
    const out = join(dir, 'out');
    const notes: string[] = [];
    const server = await startServer({ inventory: { path: join(dir, 'muster.yaml') }, port: 0, accessLog: recordingLog(notes), debounceMs: 20, settleMs: 20, provision: { dir: out, url } });
    try {
      const web1Pxe = join(out, 'tftp/pxelinux.cfg/01-52-54-00-00-00-11');
      await until('the first sync', async () => (existsSync(web1Pxe)) || undefined);
      assert.deepEqual(treeContents(out), await fromScratch(dir));
      assert.match(notes.join('\n'), /^provision: synced \{"index":1,"dir":".*\/out","created":\d+,"changed":0,"removed":0,"dnsmasq":"none"\}$/m);

      const done = await fetch(`${server.url}/v1/provision/web1.example.lan/installed`, { method: 'POST' });
      assert.equal(done.status, 200, await done.clone().text());
      await until('the installed host\'s PXE file removed', async () => (!existsSync(web1Pxe)) || undefined);
      assert.doesNotMatch(readFileSync(join(out, 'dhcp-hosts'), 'utf8'), /^52:54:00:00:00:11,set:netboot,/m);
      assert.deepEqual(treeContents(out), await fromScratch(dir));

      // A hand edit: db1's address moves; its reservation follows.
      writeFileSync(join(dir, 'muster.yaml'), readFileSync(join(dir, 'muster.yaml'), 'utf8').replace('ip: 10.0.0.21,', 'ip: 10.0.0.77,'));
      await until('the edited reservation', async () => (/10\.0\.0\.77/.test(readFileSync(join(out, 'dhcp-hosts'), 'utf8'))) || undefined);
      assert.deepEqual(treeContents(out), await fromScratch(dir));
    } finally {
      await server.close();
    }
  });

  it('a sync that cannot write is logged, and serve goes on answering', async () => {
    const dir = fixtureFolder();
    writeFileSync(join(dir, 'not-a-folder'), '');
    const notes: string[] = [];
    const server = await startServer({ inventory: { path: join(dir, 'muster.yaml') }, port: 0, accessLog: recordingLog(notes), watch: false, provision: { dir: join(dir, 'not-a-folder', 'out'), url } });
    try {
      await until('the failure logged', async () => (notes.some((note) => note.startsWith('provision: sync failed'))) || undefined);
      assert.match(notes.join('\n'), /^provision: sync failed, the tree is as it was \{"index":1,"dir":".*not-a-folder\/out","error":".*ENOTDIR.*"\}$/m);
      assert.equal((await fetch(`${server.url}/v1/health`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
