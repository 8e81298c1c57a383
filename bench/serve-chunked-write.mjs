#!/usr/bin/env node
// Writes an inventory in place in chunks (each prefix valid YAML: CHUNKS × 250 hosts, PAUSE ms
// between chunks) while a watcher long-polls `/v1/hosts` on a server of the build in DIST, and
// counts the versions the watcher saw (issue 17 item 6: each chunk used to be served as a version):
//   node bench/serve-chunked-write.mjs [DIST=dist] [CHUNKS=20] [PAUSE_MS=150]
// Prints one JSON object. Compare two builds: run it with each one's dist/.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const [dist = 'dist', chunksArg = '20', pauseArg = '150'] = process.argv.slice(2);
const chunks = Number(chunksArg);
const pause = Number(pauseArg);
const perChunk = 250;
const { startServer } = await import(pathToFileURL(join(resolve(dist), 'serve/index.js')).href);
const dir = mkdtempSync(join(tmpdir(), 'muster-chunked-'));
const file = join(dir, 'muster.yaml');
const header = 'version: 1\nhosts:\n  seed: {}\n';
writeFileSync(file, header);
const server = await startServer({ inventory: { path: file }, host: '127.0.0.1', port: 0, accessLog: false });
const seen = [];
let index = server.index;
let stop = false;
const watcher = (async () => {
  while (!stop) {
    const res = await globalThis.fetch(`${server.url}/v1/hosts?index=${index}&wait=3s`);
    const next = Number(res.headers.get('x-muster-index'));
    const hosts = await res.json();
    if (next !== index) seen.push(hosts.length);
    index = next;
  }
})();
await sleep(200);
const fd = openSync(file, 'w');
writeSync(fd, header);
for (let c = 0; c < chunks; c++) {
  let text = '';
  for (let i = 0; i < perChunk; i++) text += `  h${c}x${i}: {}\n`;
  writeSync(fd, text);
  await sleep(pause);
}
closeSync(fd);
await sleep(3500);
stop = true;
await watcher;
await server.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ chunks, pauseMs: pause, finalHosts: chunks * perChunk + 1, versionsSeen: seen.length, hostCounts: seen }));
