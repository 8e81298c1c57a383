import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureFolder } from '../provision/fixture.test-helper.js';
import { ProvisionKeys } from '../provision/hostKey.js';
import { syncProvision } from '../provision/sync.js';
import { loadInventory } from '../inventory/load.js';
import type { AccessEntry } from './accessLog.js';
import { startServer } from './server.js';

const folders: string[] = [];
after(() => { for (const dir of folders) rmSync(dir, { recursive: true, force: true }); });

describe('serve /v1/provision', () => {
  it('serves a netboot host\'s rendered answer file (as sync renders it), 404 when netboot is off, and the callback marks it installed; with a token, a host\'s key opens its routes and no other\'s', async () => {
    const dir = fixtureFolder();
    folders.push(dir);
    const notes: string[] = [];
    const urls: string[] = [];
    const log = { log: (entry: AccessEntry) => { urls.push(entry.url); }, note: (message: string, fields: Record<string, string | number> = {}) => { notes.push(`${message} ${JSON.stringify(fields)}`); }, flush: () => undefined };
    const server = await startServer({ inventory: { path: join(dir, 'muster.yaml') }, port: 0, token: 's3cret', accessLog: log, debounceMs: 20, settleMs: 20 });
    try {
      const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${server.url}${path}`, { headers });
      assert.equal((await get('/v1/provision/web1.example.lan/preseed.cfg')).status, 401, 'the token is required when serve has one');
      const preseed = await get('/v1/provision/web1.example.lan/preseed.cfg?token=s3cret');
      assert.equal(preseed.status, 200);
      const body = await preseed.text();
      assert.match(body, /^d-i netcfg\/get_ipaddress string 10\.0\.0\.11$/m);
      const keys = new ProvisionKeys('s3cret');
      const report = await syncProvision(await loadInventory({ path: join(dir, 'muster.yaml') }), { dir: join(dir, 'out'), url: server.url, keys });
      assert.equal(readFileSync(join(dir, 'out/installer/web1.example.lan/preseed.cfg'), 'utf8'), body, 'serve and sync render the same file');
      assert.ok(report.created.length > 0);
      // The installer's way in: the host's key in the path, as sync's kernel line and serve's callback URL have it.
      const web1 = keys.of('web1.example.lan');
      assert.match(readFileSync(join(dir, 'out/tftp/pxelinux.cfg/01-52-54-00-00-00-11'), 'utf8'), new RegExp(` url=${server.url}/v1/provision/web1\\.example\\.lan/${web1}/preseed\\.cfg `));
      assert.match(body, new RegExp(`late_command string in-target curl -fsS -X POST ${server.url}/v1/provision/web1\\.example\\.lan/${web1}/installed$`, 'm'));
      assert.equal(await (await get(`/v1/provision/web1.example.lan/${web1}/preseed.cfg`)).text(), body);
      assert.equal((await get(`/v1/provision/db1.example.lan/${web1}/ks.cfg`)).status, 401, 'a key opens its own host only');
      assert.equal((await get(`/v1/provision/web1.example.lan/${web1.replace(/^./, (c) => (c === '0' ? '1' : '0'))}/preseed.cfg`)).status, 401);
      assert.equal((await get(`/v1/provision/db1.example.lan/${keys.of('db1.example.lan')}/ks.cfg`)).status, 200);
      assert.equal((await get(`/v1/provision/web1.example.lan/${web1}/x/preseed.cfg`, { authorization: 'Bearer s3cret' })).status, 404);
      assert.match(notes.join('\n'), /provision: fetched \{"host":"web1\.example\.lan","file":"preseed\.cfg","remote":"127\.0\.0\.1","from":"not its reserved address"\}/);
      const off = await get('/v1/provision/web2.example.lan/preseed.cfg', { authorization: 'Bearer s3cret' });
      assert.equal(off.status, 404);
      assert.match(await off.text(), /netboot is off/);
      assert.equal((await get('/v1/provision/db1.example.lan/ks.cfg?token=s3cret')).status, 200);
      assert.equal((await get('/v1/provision/db1.example.lan/preseed.cfg?token=s3cret')).status, 404);
      assert.equal((await fetch(`${server.url}/v1/provision/web1.example.lan/installed`, { method: 'POST' })).status, 401);
      const done = await fetch(`${server.url}/v1/provision/web1.example.lan/${web1}/installed`, { method: 'POST' });
      assert.equal(done.status, 200, await done.clone().text());
      assert.match(readFileSync(join(dir, 'muster.yaml'), 'utf8'), / {2}web1\.example\.lan:\n(?: {4}.*\n)*? {6}netboot: false\n/);
      // The server reloads the edited inventory: the installed host's file is gone.
      let status = 200;
      for (let i = 0; i < 100 && status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await get('/v1/provision/web1.example.lan/preseed.cfg?token=s3cret')).status;
      }
      assert.equal(status, 404);
      assert.ok(urls.some((u) => u === '/v1/provision/web1.example.lan/preseed.cfg?token=…'), urls.join('\n'));
      assert.ok(urls.some((u) => u === '/v1/provision/web1.example.lan/…/installed'), urls.join('\n'));
      assert.ok(urls.every((u) => !u.includes('s3cret') && !u.includes(web1)), 'neither the token nor a key reaches the access log');
    } finally {
      await server.close();
    }
  });
});
