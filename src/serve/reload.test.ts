import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetadataServer } from './server.js';
import { fleetText, get, serverFor, tempInventory, until } from './server.test-helper.js';

describe('muster serve watches and hot reload (real files, real HTTP)', () => {
  let server: MetadataServer;
  let dir: string;
  let file: string;
  before(async () => {
    ({ dir, file } = tempInventory());
    server = await serverFor(file);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a blocking query returns when the file is edited, with the new index and data', async () => {
    const start = server.index;
    const pending = get(server, `/v1/roles/web/count?index=${start}&wait=30s`);
    await until(() => server.watchers === 1);
    writeFileSync(file, fleetText.replace('web[001-003].example.lan:', 'web[001-003,005-006].example.lan:').replace('127.0.1.[11-13]', '127.0.1.[11-13,15-16]'));
    const reply = await pending;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-muster-index'], String(start + 1));
    assert.equal(reply.body.trim(), '6');
    assert.equal(server.watchers, 0);
  });

  it('an editor-style save (write a new file, rename it over) is seen too', async () => {
    const start = server.index;
    const pending = get(server, `/v1/roles/web/vip?index=${start}&wait=30s`);
    await until(() => server.watchers === 1);
    const temp = join(dir, '.muster.yaml.swp');
    writeFileSync(temp, fleetText.replace('vip: 127.0.0.100', 'vip: 127.0.0.200'));
    renameSync(temp, file);
    const reply = await pending;
    assert.equal(reply.headers['x-muster-index'], String(start + 1));
    assert.equal(JSON.parse(reply.body), '127.0.0.200');
    // And the watch survived the rename: one more edit is seen.
    const next = get(server, `/v1/roles/web/vip?index=${start + 1}&wait=30s`);
    await until(() => server.watchers === 1);
    writeFileSync(file, fleetText);
    assert.equal(JSON.parse((await next).body), '127.0.0.100');
  });

  it('a blocking query times out without an edit, keeping the index', async () => {
    const began = performance.now();
    const reply = await get(server, `/v1/roles/web/count?index=${server.index}&wait=150ms`);
    const waited = performance.now() - began;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-muster-index'], String(server.index));
    assert.ok(waited >= 145 && waited < 150 * (1 + 1 / 16) + 1000, `waited ${waited} ms`);
  });

  it('index 0, an older index, or one from the future (a restarted server) answer at once', async () => {
    for (const index of [0, server.index - 1, server.index + 100]) {
      const reply = await get(server, `/v1/health?index=${index}&wait=5m`);
      assert.equal(reply.status, 200);
      assert.equal(server.watchers, 0);
    }
    assert.equal((await get(server, '/v1/health?index=abc')).status, 400);
    assert.equal((await get(server, `/v1/health?index=${server.index}&wait=forever`)).status, 400);
  });

  it('a client that hangs up stops being a watcher', async () => {
    const { request } = await import('node:http');
    const req = request({ host: '127.0.0.1', port: server.port, path: `/v1/hosts?index=${server.index}&wait=1m`, agent: false });
    req.on('error', () => undefined);
    req.end();
    await until(() => server.watchers === 1);
    req.destroy();
    await until(() => server.watchers === 0);
  });

  it('saving the same bytes (touch) keeps the index and wakes nobody', async () => {
    const start = server.index;
    writeFileSync(file, fleetText);
    assert.equal(await server.reload(), 'unchanged');
    assert.equal(server.index, start);
  });

  it('an invalid edit keeps the last good inventory serving; /v1/status shows the error with file:line; a fix serves again', async () => {
    const start = server.index;
    writeFileSync(file, fleetText.replace('roles: [db]', 'roles: [dbx]'));
    assert.equal(await server.reload(), 'failed');
    assert.equal(server.index, start);
    const count = await get(server, '/v1/roles/web/count');
    assert.equal(count.status, 200);
    assert.equal(count.body.trim(), '4');
    const status = JSON.parse((await get(server, '/v1/status')).body);
    assert.equal(status.status, 'error');
    assert.equal(status.last_reload.ok, false);
    const problem = status.last_reload.problems[0];
    assert.equal(problem.file, file);
    assert.equal(problem.line, 29);
    assert.match(problem.message, /dbx/);
    assert.match(status.last_reload.error, /muster\.yaml:29:\d+/);
    writeFileSync(file, fleetText.replace('vip: 127.0.0.100', 'vip: 127.0.0.101'));
    // The file watch may have reloaded it first: then this reload finds nothing new.
    assert.ok(['changed', 'unchanged'].includes(await server.reload()));
    assert.equal(server.index, start + 1);
    assert.equal(JSON.parse((await get(server, '/v1/status')).body).status, 'ok');
    assert.equal(JSON.parse((await get(server, '/v1/roles/web/vip')).body), '127.0.0.101');
  });

  it('stopping the server answers the watchers at once instead of cutting them', async () => {
    const other = await serverFor(file);
    const pending = get(other, `/v1/roles/web/count?index=${other.index}&wait=5m`);
    await until(() => other.watchers === 1);
    await other.close();
    assert.equal((await pending).status, 200);
  });
});

describe('muster serve over an inventory/ folder', () => {
  it('a new file in the folder (or a subfolder) is picked up', async () => {
    const { dir } = tempInventory('version: 1\nhosts:\n  a1: {}\n');
    const folder = join(dir, 'inventory');
    mkdirSync(join(folder, 'dc1'), { recursive: true });
    renameSync(join(dir, 'muster.yaml'), join(folder, 'base.yaml'));
    const server = await serverFor(folder);
    try {
      assert.equal(JSON.parse((await get(server, '/v1/hosts')).body).length, 1);
      const pending = get(server, `/v1/hosts?index=${server.index}&wait=30s`);
      await until(() => server.watchers === 1);
      writeFileSync(join(folder, 'dc1', 'more.yaml'), 'hosts:\n  b[1-2]: {}\n');
      const reply = await pending;
      assert.deepEqual(JSON.parse(reply.body).map((h: { name: string }) => h.name), ['a1', 'b1', 'b2']);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('edits behind symlinks are seen: a linked folder and a linked file, both outside the inventory folder', async () => {
    const { dir } = tempInventory('version: 1\nhosts:\n  a1: {}\n');
    const shared = mkdtempSync(join(tmpdir(), 'muster-serve-shared-'));
    const folder = join(dir, 'inventory');
    mkdirSync(join(shared, 'dc2'));
    mkdirSync(folder);
    renameSync(join(dir, 'muster.yaml'), join(folder, 'base.yaml'));
    writeFileSync(join(shared, 'common.yaml'), 'hosts:\n  c1: {}\n');
    symlinkSync(join(shared, 'common.yaml'), join(folder, 'common.yaml'));
    symlinkSync(join(shared, 'dc2'), join(folder, 'dc2'));
    const server = await serverFor(folder);
    const names = (body: string): string[] => JSON.parse(body).map((h: { name: string }) => h.name);
    try {
      assert.deepEqual(names((await get(server, '/v1/hosts')).body), ['a1', 'c1']);
      // A new file in the linked (so far empty) folder.
      let pending = get(server, `/v1/hosts?index=${server.index}&wait=30s`);
      await until(() => server.watchers === 1);
      writeFileSync(join(shared, 'dc2', 'more.yaml'), 'hosts:\n  d1: {}\n');
      assert.deepEqual(names((await pending).body), ['a1', 'c1', 'd1']);
      // An edit of the linked file's target, in its own folder.
      pending = get(server, `/v1/hosts?index=${server.index}&wait=30s`);
      await until(() => server.watchers === 1);
      writeFileSync(join(shared, 'common.yaml'), 'hosts:\n  c[1-2]: {}\n');
      assert.deepEqual(names((await pending).body), ['a1', 'c1', 'c2', 'd1']);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
