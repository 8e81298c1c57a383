/**
 * The web UI over a real server and real HTTP (no browser: ui.browser.test.ts
 * drives Chromium): escaping, the CSP, selector errors, the token's login
 * form and cookie, the live index and what moves it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journal } from '../../history/journal.js';
import { editInventory, fleetText, get, serverFor, tempInventory } from '../server.test-helper.js';
import type { MetadataServer } from '../server.js';
import { assetDir } from './assets.js';
import { parseInventory } from '../../inventory/parse.js';
import { readHostFacts } from './facts.js';
import { fleetPage } from './fleetPage.js';
import { JournalView } from './journalView.js';
import { escapeHtml, html } from './html.js';

const hostile = fleetText.replace('note: disk replaced', 'note: "<script>alert(1)</script> & \\"x\\""');

function record(stateDir: string, stdout: string): void {
  journal({
    command: 'run', argv: ['run', 'web', '--', 'uname'], selector: 'web', startedAt: new Date(), durationMs: 12, exitCode: 1,
    outcomes: [
      { host: 'web001.example.lan', status: 'ok', exitCode: 0, stdout, stderr: '', durationMs: 3 },
      { host: 'web002.example.lan', status: 'ok', exitCode: 0, stdout, stderr: '', durationMs: 3 },
      { host: 'web004.example.lan', status: 'failed', exitCode: 3, stdout: '', stderr: 'boom <b>\n', durationMs: 3 },
    ],
  }, { stateDir, onWarning: (message) => assert.fail(message) });
}

test('html escapes every value it is given, lists included; markup built by html passes', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(html`<p>${['<i>', html`<b>${'&'}</b>`]}</p>`.text, '<p>&lt;i&gt;<b>&amp;</b></p>');
});

test('the assets are found from dist/serve/ui and from dist/bundle alike (templates/ui at the package root)', () => {
  const root = join(assetDir(), '..', '..');
  assert.equal(assetDir(join(root, 'dist', 'bundle')), assetDir());
  assert.equal(assetDir(join(root, 'dist', 'serve', 'ui')), assetDir());
});

test('with agents, a tile says when its host was last seen and fades one not seen for 15 minutes', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const state = mkdtempSync(join(tmpdir(), 'muster-ui-seen-'));
  try {
    mkdirSync(join(state, 'facts'));
    const fresh = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(join(state, 'facts', 'web1.json'), JSON.stringify({ host: 'web1', via: 'nats', gatheredAt: fresh, seenAt: fresh, facts: {} }));
    writeFileSync(join(state, 'facts', 'web2.json'), JSON.stringify({ host: 'web2', via: 'nats', gatheredAt: 'g', seenAt: '2026-01-01T00:00:00.000Z', facts: {} }));
    const inventory = parseInventory([{ path: join(state, 'muster.yaml'), text: `agents: { state: ${state} }\nhosts: { web1: {}, web2: {}, web3: {} }\n` }]);
    const page = fleetPage(inventory, new JournalView({ stateDir: state }), '').main.text;
    const tileOf = (host: string): string => new RegExp(`<a class="t [^"]*" href="/ui/hosts/${host}" title="[^"]*"`).exec(page)?.[0] ?? '';
    assert.doesNotMatch(tileOf('web1'), / gone"/);
    assert.match(tileOf('web1'), new RegExp(`last seen ${fresh}`));
    assert.match(tileOf('web2'), / gone".*last seen 2026-01-01/);
    assert.match(tileOf('web3'), / gone".*never seen/);
    assert.match(page, /not seen for 15m/);
    // fact.KEY=VALUE filters as on the command line, from the same stored facts.
    writeFileSync(join(state, 'facts', 'web3.json'), JSON.stringify({ host: 'web3', via: 'ssh', gatheredAt: fresh, seenAt: fresh, facts: { os: { id: 'debian' } } }));
    const picked = fleetPage(inventory, new JournalView({ stateDir: state }), 'fact.os.id=debian').main.text;
    assert.match(picked, /<strong>1<\/strong> of 3 hosts/);
    assert.match(picked, /href="\/ui\/hosts\/web3"/);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

test('stored facts are read as muster facts writes them (dotted keys); none, or another host\'s, are no facts', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const state = mkdtempSync(join(tmpdir(), 'muster-ui-facts-'));
  try {
    mkdirSync(join(state, 'facts'));
    writeFileSync(join(state, 'facts', 'web1.json'), JSON.stringify({ host: 'web1', via: 'nats', gatheredAt: 'g', seenAt: 's', facts: { os: { id: 'debian' }, cpus: 4 } }));
    writeFileSync(join(state, 'facts', 'web2.json'), JSON.stringify({ host: 'other', via: 'ssh', gatheredAt: 'g', seenAt: 's', facts: {} }));
    assert.deepEqual(readHostFacts(state, 'web1'), { via: 'nats', gatheredAt: 'g', seenAt: 's', rows: [['cpus', '4'], ['os.id', 'debian']] });
    assert.equal(readHostFacts(state, 'web2'), undefined);
    assert.equal(readHostFacts(state, 'web3'), undefined);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

describe('serve --ui over HTTP', () => {
  let server: MetadataServer;
  let dir: string;
  let file: string;
  let stateDir: string;

  before(async () => {
    ({ dir, file } = tempInventory(hostile));
    stateDir = mkdtempSync(join(tmpdir(), 'muster-ui-state-'));
    server = await serverFor(file, { ui: { history: { stateDir } } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('the fleet page: every host, grouped by role, the strict CSP, a hostile note as text', async () => {
    const reply = await get(server, '/ui/');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-security-policy']), /script-src 'self'; style-src 'self'/);
    assert.doesNotMatch(String(reply.headers['content-security-policy']), /unsafe-inline/);
    assert.equal(reply.headers['x-frame-options'], 'DENY');
    for (const host of ['web001.example.lan', 'web004.example.lan', 'db1.example.lan']) assert.match(reply.body, new RegExp(`>${host}</a>`));
    assert.match(reply.body, /<h2>web <span class="n">\(4\)<\/span><\/h2>/);
    assert.doesNotMatch(reply.body, /<script>alert/);
    assert.match(reply.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;x&quot;/);
    assert.doesNotMatch(reply.body, /<script>|\sstyle=|\son\w+=/, 'no inline script, style or handler');
  });

  test('pages are gzipped for clients that take it (another ETag), plain for the rest', async () => {
    const { request } = await import('node:http');
    const { gunzipSync } = await import('node:zlib');
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: '/ui/', headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    const plain = await get(server, '/ui/');
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(raw.body).toString('utf8'), plain.body);
    assert.notEqual(raw.headers['etag'], plain.headers['etag']);
    assert.equal(plain.headers['content-encoding'], undefined);
  });

  test('a selector filters server-side; a bad one is a 400 with the character marked', async () => {
    const good = await get(server, `/ui/?q=${encodeURIComponent('web&dc=tk1!web003.example.lan')}`);
    assert.equal(good.status, 200);
    assert.match(good.body, /value="web\[001-002\]\.example\.lan"/);
    assert.doesNotMatch(good.body, />web004\.example\.lan</);
    const bad = await get(server, `/ui/?q=${encodeURIComponent('web&nosuch')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<pre class="caret">web&amp;<mark>n<\/mark>osuch\n {4}\^<\/pre>/);
    assert.match(bad.body, /aria-invalid="true"/);
  });

  test('the host page: provenance file:line:col and layer; unknown host 404', async () => {
    const reply = await get(server, '/ui/hosts/web004.example.lan');
    assert.match(reply.body, new RegExp(`<th scope="row">http_port</th><td><code>8080</code></td><td class="from">${file.replaceAll('.', '\\.')}:\\d+:\\d+ <span class="dim">\\(host\\)</span>`));
    assert.match(reply.body, /<th scope="row">vip<\/th><td><code>127\.0\.0\.100<\/code><\/td><td class="from">[^<]+ <span class="dim">\(role:web\)/);
    assert.equal((await get(server, '/ui/hosts/nope')).status, 404);
  });

  test('a journaled run: the live poll wakes, the runs page lists it, its output gathered with failures first', async () => {
    const { index } = JSON.parse((await get(server, '/ui/live')).body) as { index: number };
    const apiIndex = server.index;
    const waiting = get(server, `/ui/live?index=${index}&wait=20s`);
    const apiStarted = Date.now();
    const apiWaiting = get(server, `/v1/hosts?index=${apiIndex}&wait=3s`);
    record(stateDir, 'Linux <x>\n');
    const woke = JSON.parse((await waiting).body) as { index: number };
    assert.ok(woke.index > index);
    const api = await apiWaiting;
    assert.equal(api.headers['x-muster-index'], String(apiIndex), 'a run is no new inventory version');
    assert.ok(Date.now() - apiStarted >= 2900, 'and the API’s blocking query was not woken by it');
    const runs = await get(server, '/ui/runs?command=run');
    assert.match(runs.body, /<a href="\/ui\/runs\/1">#1<\/a>/);
    const run = await get(server, '/ui/runs/1');
    const failed = run.body.indexOf('web004.example.lan</code>');
    const ok = run.body.indexOf('web[001-002].example.lan</code>');
    assert.ok(failed > 0 && ok > failed, 'the failed block comes first');
    assert.match(run.body, /<pre class="out">Linux &lt;x&gt;\n<\/pre>/);
    assert.match(run.body, /<pre class="err">boom &lt;b&gt;\n<\/pre>/);
    const fleet = await get(server, '/ui/');
    assert.match(fleet.body, /class="t o-failed s0" href="\/ui\/hosts\/web004\.example\.lan"/);
  });

  test('an inventory that stops loading is said on every page, the last good version still shown', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'version: 1\nhosts: [oops\n');
    assert.equal(await server.reload(), 'failed');
    const reply = await get(server, '/ui/');
    assert.match(reply.body, /<p class="warning" role="alert">The inventory on disk does not load \(/);
    assert.match(reply.body, />web001\.example\.lan</);
    editInventory(file);
    assert.notEqual(await server.reload(), 'failed', 'the mended file loads (here or by the file watch first)');
    assert.doesNotMatch((await get(server, '/ui/')).body, /class="warning"/);
  });

  test('an inventory edit moves the live index too', async () => {
    const { index } = JSON.parse((await get(server, '/ui/live')).body) as { index: number };
    const waiting = get(server, `/ui/live?index=${index}&wait=20s`);
    editInventory(file);
    assert.ok((JSON.parse((await waiting).body) as { index: number }).index > index);
  });
});

describe('serve --ui with a token', () => {
  let server: MetadataServer;
  let dir: string;
  let file: string;

  before(async () => {
    ({ dir, file } = tempInventory());
    server = await serverFor(file, { token: 's3cret-token', ui: { watchJournal: false } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('pages ask for the token; a POSTed login sets an HttpOnly SameSite=Strict cookie that is not the token', async () => {
    const refused = await get(server, '/ui/hosts/web001.example.lan');
    assert.equal(refused.status, 401);
    assert.match(refused.body, /<form class="login" method="post" action="\/ui\/login">/);
    assert.match(refused.body, /name="next" value="\/ui\/hosts\/web001\.example\.lan"/);
    assert.equal((await get(server, '/ui/live')).status, 401);
    assert.equal((await get(server, '/ui/assets/ui.css')).status, 200, 'the login page is styled');

    const post = (token: string) => new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      const body = `token=${encodeURIComponent(token)}&next=${encodeURIComponent('/ui/hosts/web001.example.lan')}`;
      void import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: '/ui/login', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        });
        req.on('error', reject);
        req.end(body);
      });
    });
    assert.equal((await post('wrong')).status, 401);
    const good = await post('s3cret-token');
    assert.equal(good.status, 303);
    assert.equal(good.headers['location'], '/ui/hosts/web001.example.lan');
    const cookie = String((good.headers['set-cookie'] as string[])[0]);
    assert.match(cookie, /^muster_ui=[\w-]+; Path=\/ui; HttpOnly; SameSite=Strict$/);
    assert.doesNotMatch(cookie, /s3cret/);
    const pageReply = await get(server, '/ui/hosts/web001.example.lan', { headers: { cookie: cookie.split(';')[0] ?? '' } });
    assert.equal(pageReply.status, 200);
    assert.doesNotMatch(pageReply.body, /s3cret/);
    // The cookie is the UI's: the API still wants its bearer token.
    assert.equal((await get(server, '/v1/hosts', { headers: { cookie: cookie.split(';')[0] ?? '' } })).status, 401);
    assert.equal((await get(server, '/ui/', { headers: { authorization: 'Bearer s3cret-token' } })).status, 200);
  });

  test('a login never goes elsewhere than the UI', async () => {
    const reply = await get(server, `/ui/login?next=${encodeURIComponent('//evil.example/ui/')}`);
    assert.match(reply.body, /name="next" value="\/ui\/"/);
  });
});
