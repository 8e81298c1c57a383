import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { AccessLog } from './accessLog.js';
import { BearerToken } from './bearerToken.js';
import { handle, type Answer, type HandlerState, type RequestHeaders, type Wait } from './handler.js';
import { liveState } from './liveState.js';
import { Reloader } from './reloader.js';
import { newSnapshot } from './snapshot.js';
import { fleetText, tempInventory } from './server.test-helper.js';
import { WatchSet } from './watches.js';

/** The handler's state as the server builds it, without jitter. */
function stateOf(reloader: Reloader, watches: WatchSet, more: Partial<Pick<HandlerState, 'token' | 'log'>> = {}): HandlerState {
  return liveState(reloader, watches, { random: () => 0, ...more });
}

/** A request that must be answered at once (no blocking query). */
function answer(state: HandlerState, url: string, headers: RequestHeaders = {}, method = 'GET'): Answer['response'] & { note?: string; text: string } {
  const handled = handle({ method, url, headers }, state);
  assert.equal(handled.kind, 'response', url);
  const { response, note } = handled as Answer;
  return { ...response, ...(note === undefined ? {} : { note }), text: response.body.toString('utf8') };
}

function waitFor(state: HandlerState, url: string): Wait {
  const handled = handle({ method: 'GET', url, headers: {} }, state);
  assert.equal(handled.kind, 'wait', url);
  return handled as Wait;
}

describe('handle: routes, formats, errors (no socket)', () => {
  let dir: string;
  let reloader: Reloader;
  let state: HandlerState;
  before(async () => {
    ({ dir } = tempInventory());
    reloader = await Reloader.open({ inventory: { path: `${dir}/muster.yaml` }, watch: false });
    state = stateOf(reloader, new WatchSet());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a host in JSON, YAML and sh, by suffix, ?format= and Accept', () => {
    const expected = { name: 'web004.example.lan', address: '127.0.1.14', user: 'root', state: 'ok', roles: ['web'], vars: { ntp: 'ntp1.example.lan', http_port: 8080, vip: '127.0.0.100', dc: 'os1' } };
    const json = answer(state, '/v1/hosts/web004.example.lan.json');
    assert.equal(json.status, 200);
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(json.headers['x-muster-index'], '1');
    assert.equal(json.headers['content-length'], String(json.body.length));
    assert.deepEqual(JSON.parse(json.text), expected);
    for (const [url, headers] of [['/v1/hosts/web004.example.lan.yaml', {}], ['/v1/hosts/web004.example.lan?format=yaml', {}], ['/v1/hosts/web004.example.lan', { accept: 'application/yaml' }]] as const) {
      const yaml = answer(state, url, headers);
      assert.equal(yaml.headers['content-type'], 'application/yaml; charset=utf-8', url);
      assert.deepEqual(parse(yaml.text), expected, url);
    }
    const sh = answer(state, '/v1/hosts/web004.example.lan.sh');
    assert.equal(sh.headers['content-type'], 'text/x-shellscript; charset=utf-8');
    assert.match(sh.text, /^name=web004\.example\.lan$/m);
    assert.match(sh.text, /^var_http_port=8080$/m);
    assert.equal(answer(state, '/v1/hosts/web004.example.lan/dc').text, '"os1"\n');
  });

  it('a role and a group in each format', () => {
    const role = JSON.parse(answer(state, '/v1/roles/web.json').text) as Record<string, unknown>;
    assert.equal(role['nodeset'], 'web[001-004].example.lan');
    assert.deepEqual(parse(answer(state, '/v1/roles/web.yaml').text), role);
    assert.match(answer(state, '/v1/roles/web.sh').text, /^count=4$/m);
    const group = JSON.parse(answer(state, '/v1/groups/tokyo').text) as Record<string, unknown>;
    assert.deepEqual([group['selector'], group['count']], ['dc=tk1', 3]);
    assert.deepEqual(parse(answer(state, '/v1/groups/tokyo.yaml').text), group);
    assert.match(answer(state, '/v1/groups/tokyo', { accept: 'text/x-shellscript' }).text, /^nodeset='?web\[001-003\]\.example\.lan'?$/m);
    assert.deepEqual(JSON.parse(answer(state, '/web/hosts').text), JSON.parse(answer(state, '/v1/roles/web/hosts').text));
  });

  it('404 for unknown names and routes, with the reason in the body and the access-log note; in sh a safe failing script', () => {
    const host = answer(state, '/v1/hosts/nope');
    assert.equal(host.status, 404);
    assert.deepEqual(JSON.parse(host.text), { error: 'No host named "nope"', status: 404 });
    assert.equal(host.note, 'No host named "nope"');
    assert.equal(host.headers['etag'], undefined, 'an error has no ETag, so it never becomes a 304');
    assert.equal(JSON.parse(answer(state, '/v1/nothing').text).error, 'No such route (see / for the list)');
    const sh = answer(state, '/v1/roles/$(x)/hosts.sh');
    assert.equal(sh.status, 404);
    assert.equal(sh.text, `echo 'muster serve: 404: No role named "$(x)"' >&2\nfalse\n`);
    assert.equal(answer(state, '/v1/select?q=web%26%26').status, 400);
    assert.equal(answer(state, `/v1/hosts/${'a'.repeat(5000)}`).status, 414);
  });

  it('GET and HEAD only: 405 with Allow; HEAD has the headers of GET and no body', () => {
    const post = answer(state, '/v1/hosts', {}, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, HEAD');
    const get = answer(state, '/v1/roles/web/hosts.json');
    const head = answer(state, '/v1/roles/web/hosts.json', {}, 'HEAD');
    assert.deepEqual([head.status, head.headers, head.body.length], [200, get.headers, 0]);
  });

  it('ETag and If-None-Match give a 304 without a body; another ETag gets the body', () => {
    const first = answer(state, '/v1/roles/web/hosts.json');
    const etag = first.headers['etag'] ?? '';
    assert.match(etag, /^"[\w-]+"$/);
    const again = answer(state, '/v1/roles/web/hosts.json', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers['content-length'], undefined);
    assert.equal(again.headers['etag'], etag);
    assert.equal(answer(state, '/v1/roles/web/hosts.json', { 'if-none-match': '"other"' }).status, 200);
  });

  it('a target seen before is answered from the version\'s cache, the same bytes', () => {
    const url = '/v1/roles/web/addresses?all_states=1';
    const first = answer(state, url);
    // Kept by its raw target (and Accept), so a second ask skips parsing altogether.
    assert.ok(state.snapshot.byUrl.has(`${url}\n`));
    assert.equal(answer(state, url).body, first.body);
  });

  it('an unknown error is a bug: 500 "Internal error (logged)", its stack in the log, never in the body', () => {
    const notes: string[] = [];
    const log: AccessLog = { log: () => undefined, note: (message, fields) => notes.push(`${message} ${JSON.stringify(fields)}`), flush: () => undefined };
    const inventory = reloader.snapshot.inventory;
    const broken = { ...inventory, hostsByName: { get: () => { throw new TypeError('boom'); } } } as unknown as typeof inventory;
    const bug = answer({ ...stateOf(reloader, new WatchSet()), snapshot: newSnapshot(broken, 7, 'x'), log }, '/v1/hosts/web001.example.lan');
    assert.equal(bug.status, 500);
    assert.deepEqual(JSON.parse(bug.text), { error: 'Internal error (logged)', status: 500 });
    assert.equal(bug.headers['x-muster-index'], '7');
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /^internal error \(a bug\) .*TypeError: boom/);
  });
});

describe('handle: the bearer token', () => {
  it('refuses a missing, wrong or scheme-less token with 401 and WWW-Authenticate, takes the right one, and lets /v1/health through', async () => {
    const { dir, file } = tempInventory();
    try {
      const reloader = await Reloader.open({ inventory: { path: file }, watch: false });
      const state = stateOf(reloader, new WatchSet(), { token: new BearerToken('s3cret-token') });
      for (const authorization of [undefined, 'Bearer s3cret-tokeN', 's3cret-token', 'Bearer s3cret-token-and-more']) {
        const refused = answer(state, '/v1/hosts', authorization === undefined ? {} : { authorization });
        assert.equal(refused.status, 401, authorization);
        assert.equal(refused.headers['www-authenticate'], 'Bearer realm="muster"');
        assert.equal(refused.note, 'Missing or wrong bearer token');
      }
      assert.equal(answer(state, '/v1/hosts', { authorization: 'Bearer s3cret-token' }).status, 200);
      assert.equal(answer(state, '/v1/hosts', { authorization: 'bearer  s3cret-token ' }).status, 200);
      assert.equal(answer(state, '/v1/health').status, 200);
      assert.equal(answer(state, '/v1/health.sh').status, 200);
      assert.equal(answer(state, '/v1/status').status, 401);
      // A cached answer is no way around the token.
      assert.equal(answer(state, '/v1/hosts').status, 401);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('handle: blocking queries and reloads', () => {
  let dir: string;
  let file: string;
  let reloader: Reloader;
  let watches: WatchSet;
  let state: HandlerState;
  before(async () => {
    ({ dir, file } = tempInventory());
    watches = new WatchSet();
    reloader = await Reloader.open({ inventory: { path: file }, watch: false, onChange: () => watches.release() });
    state = stateOf(reloader, watches);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the current index waits; no index, index 0 or another index answers at once; a bad wait is a 400', () => {
    const wait = waitFor(state, '/v1/roles/web/count?index=1&wait=30s');
    assert.deepEqual([wait.index, wait.ms], [1, 30_000]);
    for (const url of ['/v1/roles/web/count', '/v1/roles/web/count?index=0&wait=30s', '/v1/roles/web/count?index=5&wait=30s']) {
      assert.equal(answer(state, url).status, 200, url);
    }
    assert.equal(answer(state, '/v1/roles/web/count?index=1&wait=soon').status, 400);
  });

  it('a wait resolves on a new snapshot, and its answer comes from that snapshot', async () => {
    const wait = waitFor(state, '/v1/roles/web/count?index=1&wait=30s');
    const woke = watches.wait(wait.ms);
    assert.equal(state.watchers, 1);
    writeFileSync(file, fleetText.replace('web[001-003].example.lan:', 'web[001-003,005].example.lan:').replace('127.0.1.[11-13]', '127.0.1.[11-13,15]'));
    assert.equal(await reloader.reload(), 'changed');
    assert.equal(await woke, 'changed');
    const reply = wait.resume();
    assert.equal(reply.response.status, 200);
    assert.equal(reply.response.headers['x-muster-index'], '2');
    assert.equal(reply.response.body.toString('utf8'), '5\n');
    assert.equal(answer(state, '/v1/roles/web/count').text, '5\n', 'the old version\'s cached answers are gone with it');
  });

  it('a wait that times out answers with the same version', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const wait = waitFor(state, `/v1/roles/web/count?index=${state.snapshot.index}&wait=150ms`);
      assert.equal(wait.ms, 150);
      const woke = watches.wait(wait.ms);
      mock.timers.tick(150);
      assert.equal(await woke, 'timeout');
      const reply = wait.resume();
      assert.equal(reply.response.status, 200);
      assert.equal(reply.response.headers['x-muster-index'], String(wait.index));
    } finally {
      mock.timers.reset();
    }
  });

  it('a failed reload shows in /v1/status (status error, file:line), the last good version keeps serving, and /v1/health stays ok', async () => {
    const index = state.snapshot.index;
    writeFileSync(file, fleetText.replace('roles: [db]', 'roles: [dbx]'));
    assert.equal(await reloader.reload(), 'failed');
    assert.equal(state.snapshot.index, index);
    const status = JSON.parse(answer(state, '/v1/status').text);
    assert.equal(status.status, 'error');
    assert.equal(status.index, index);
    assert.equal(status.last_reload.ok, false);
    assert.match(status.last_reload.error, /muster\.yaml:29:\d+/);
    assert.deepEqual([status.last_reload.problems[0].file, status.last_reload.problems[0].line], [file, 29]);
    assert.match(status.last_reload.problems[0].message, /dbx/);
    assert.match(answer(state, '/v1/status.sh').text, /^status=error$/m);
    assert.deepEqual(JSON.parse(answer(state, '/v1/health').text), { status: 'ok', index });
    assert.equal(answer(state, '/v1/roles/web/count').status, 200);
    writeFileSync(file, fleetText);
    assert.equal(await reloader.reload(), 'changed');
    assert.equal(JSON.parse(answer(state, '/v1/status').text).status, 'ok');
  });
});
