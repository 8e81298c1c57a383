#!/usr/bin/env node
// `muster serve --ui` at fleet scale: a generated inventory of N hosts (default 5,000: 12 roles,
// three states, a skip state), a journal holding one run over every host (mixed outcomes, so
// every tile is coloured), the server started in-process from dist/, and Debian's headless
// Chromium loading the fleet page. Prints one JSON line: the server's render time (first, and
// cached), the page weight, and in the browser the time from navigation to the frame after the
// last tile was laid out (median of the runs). Run under the bench lock:
//   npm run build && flock /work/bench.lock node bench/ui-fleet.mjs [HOSTS] [--shot FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/* global document, window, requestAnimationFrame, fetch */
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { journal } from '../dist/history/journal.js';
import { startServer } from '../dist/serve/index.js';

const args = process.argv.slice(2);
const shotAt = args.indexOf('--shot');
const shot = shotAt >= 0 ? args.splice(shotAt, 2)[1] : undefined;
const count = Number(args[0] ?? 5000);
const rounds = 7;
const dir = mkdtempSync(join(tmpdir(), 'muster-ui-bench-'));
const roles = ['web', 'api', 'db', 'cache', 'queue', 'search', 'batch', 'gpu', 'storage', 'proxy', 'dns', 'monitor'];
// Numbered in blocks per data centre, as racks are (interleaved names fold slowly: see docs/ui.md).
const name = (i) => `node${String(i + 1).padStart(5, '0')}.dc${Math.floor((i * 3) / count) + 1}.example.net`;
const lines = ['version: 1', 'states: [ok, drain, maint]', 'skip_states: [maint]', 'roles:', ...roles.map((r) => `  ${r}: { vars: { tier: ${r} } }`), 'hosts:'];
for (let i = 0; i < count; i++) {
  const state = i % 97 === 0 ? 'maint' : i % 41 === 0 ? 'drain' : 'ok';
  lines.push(`  ${name(i)}: { roles: [${roles[Math.floor((i / count) * roles.length)]}], address: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}${state === 'ok' ? '' : `, state: ${state}`} }`);
}
writeFileSync(join(dir, 'muster.yaml'), `${lines.join('\n')}\n`);
const status = (i) => (i % 53 === 0 ? 'failed' : i % 89 === 0 ? 'unreachable' : i % 7 === 0 ? 'changed' : 'ok');
journal({
  command: 'run', argv: ['run', 'all', '--', 'uptime'], selector: 'all', startedAt: new Date(), durationMs: 4000, exitCode: 1,
  outcomes: Array.from({ length: count }, (_, i) => ({ host: name(i), status: status(i), exitCode: status(i) === 'failed' ? 1 : status(i) === 'unreachable' ? null : 0, stdout: status(i) === 'ok' ? ' 10:00:00 up 12 days\n' : '', stderr: status(i) === 'failed' ? 'load too high\n' : '', durationMs: 20, ...(status(i) === 'unreachable' ? { message: 'connection refused' } : {}) })),
}, { stateDir: dir });

const server = await startServer({ inventory: { path: join(dir, 'muster.yaml') }, port: 0, accessLog: false, watch: false, ui: { history: { stateDir: dir }, watchJournal: false } });
const timeGet = async (path, encoding = 'identity') => {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': encoding } });
  await response.arrayBuffer();
  // fetch decompresses: the bytes on the wire are the Content-Length.
  return { ms: performance.now() - started, bytes: Number(response.headers.get('content-length')) };
};
const firstRender = await timeGet('/ui/');
const cachedRender = await timeGet('/ui/');
const gzipped = await timeGet('/ui/', 'gzip');
const css = await timeGet('/ui/assets/ui.css');
const js = await timeGet('/ui/assets/ui.js');

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const measure = async (path) => {
  await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
  // (Runs in the page: its own performance clock, from navigation start.)
  return page.evaluate(async () => {
    const { performance } = window;
    const tiles = document.querySelectorAll('a.t');
    const last = tiles[tiles.length - 1];
    const box = last.getBoundingClientRect();
    // The frame after load: the last tile is laid out and painted by then.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const nav = performance.getEntriesByType('navigation')[0];
    return { tiles: tiles.length, lastTileTop: Math.round(box.top), ttfb: nav.responseStart, domInteractive: nav.domInteractive, load: nav.loadEventEnd, lastTileFrame: performance.now() };
  });
};
// Cached: the page as every viewer after the first gets it. Fresh: rendered for this request
// (each round's selector differs by a trailing space: the same 5,000 hosts, a new page), as after an edit or a run.
const cached = [];
const fresh = [];
for (let round = 0; round < rounds; round++) {
  cached.push(await measure('/ui/'));
  fresh.push(await measure(`/ui/?q=all${'+'.repeat(round + 1)}`));
}
if (shot) {
  await page.goto(`${server.url}/ui/`, { waitUntil: 'load' });
  await page.screenshot({ path: shot, fullPage: false });
}
const median = (samples, key) => {
  const values = samples.map((s) => s[key]).sort((a, b) => a - b);
  return Math.round(values[Math.floor(values.length / 2)]);
};
const summary = (samples) => ({ ttfb: median(samples, 'ttfb'), dom_interactive: median(samples, 'domInteractive'), load: median(samples, 'load'), last_tile_frame: median(samples, 'lastTileFrame') });
console.log(JSON.stringify({
  hosts: count, tiles: cached[0].tiles, fresh_tiles: fresh[0].tiles,
  server_first_render_ms: Math.round(firstRender.ms), server_cached_ms: Math.round(cachedRender.ms),
  html_bytes: firstRender.bytes, html_gzip_bytes: gzipped.bytes, css_bytes: css.bytes, js_bytes: js.bytes,
  browser_ms_cached: summary(cached), browser_ms_fresh: summary(fresh),
  rounds,
}));
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
