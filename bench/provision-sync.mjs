// `muster provision sync` on a generated fleet of N systems (default 5,000), each its own host
// entry with a MAC, a fixed IP and netboot on, the Debian preseed profile of templates/provision:
// a full sync into an empty folder, an unchanged sync, a one-host change (one IP edited in the
// YAML), and `provision enable|disable HOST` with the sync after it, each as the real CLI (Node's
// start and the inventory's parse included); then in process as `muster serve` runs it: the
// unchanged sync, and the one-host change from the edited text to DIR (the edited entry read
// again with InventoryReparser, then the sync); then through `muster serve --provision-dir`, from
// the edit to the host's reservation in DIR, and from serve's reload to its synced note. Best of 3;
// a host unchanged since the last sync is neither rendered nor compared (its fingerprint is in the
// manifest). Goals (issue 14): full < 5 s, one-host change < 100 ms; Cobbler users report
// 10-20 min for a few thousand systems and 10-20 s per edit.
// Run: flock /work/bench.lock node bench/provision-sync.mjs [N]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { parseInventory } = await import(join(root, 'dist/inventory/index.js'));
const { syncProvision } = await import(join(root, 'dist/provision/sync.js'));
const { InventoryReparser } = await import(join(root, 'dist/inventory/reparse.js'));
const count = Number(process.argv[2] ?? 5000);
const work = join(process.env['BENCH_DIR'] ?? '/work/provision-scratch', `bench-${count}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(root, 'templates/provision'), join(work, 'templates/provision'), { recursive: true });

const hex = (n) => n.toString(16).padStart(2, '0');
const lines = [
  'profiles:',
  '  debian12:',
  '    kernel: debian-installer/amd64/linux',
  '    initrd: debian-installer/amd64/initrd.gz',
  '    options: --- quiet',
  '    installer: { kind: preseed, template: templates/provision/debian-preseed.cfg.liquid }',
  'roles:',
  '  node:',
  '    provision: { profile: debian12, netboot: true }',
  'hosts:',
];
for (let i = 0; i < count; i++) {
  const ip = `10.${Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
  lines.push(`  n${String(i).padStart(5, '0')}.dc1.lan:`, '    roles: [node]', `    address: ${ip}`, '    provision:', '      interfaces:',
    `        eth0: { mac: "52:54:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}", ip: ${ip}, netmask: 255.255.0.0, gateway: 10.0.0.254 }`);
}
const yamlPath = join(work, 'muster.yaml');
writeFileSync(yamlPath, `${lines.join('\n')}\n`);
const out = join(work, 'out');
const url = 'http://10.0.0.254:8080';

function cli() {
  const started = performance.now();
  execFileSync(process.execPath, [join(root, 'bin/muster.js'), 'provision', 'sync', '-o', out, '--url', url, '-i', yamlPath, '-q'], { stdio: 'ignore' });
  return performance.now() - started;
}
let edit = 0;
function editOneHost() {
  edit++;
  const text = readFileSync(yamlPath, 'utf8');
  const from = /ip: 10\.0\.0\.(\d+), netmask/.exec(text);
  const ip = `10.0.${200 + (edit % 50)}.${from[1]}`;
  writeFileSync(yamlPath, text.replace(from[0], `ip: ${ip}, netmask`));
  return ip;
}
const best = (runs) => Math.min(...runs);

const results = {};
// The CLI: a fresh folder each full run; the parse cache warm after the first.
const full = [];
for (let i = 0; i < 3; i++) {
  rmSync(out, { recursive: true, force: true });
  full.push(cli());
}
results.cliFull = best(full);
const unchanged = [];
for (let i = 0; i < 3; i++) unchanged.push(cli());
results.cliUnchanged = best(unchanged);
const one = [];
for (let i = 0; i < 3; i++) {
  editOneHost();
  one.push(cli());
}
results.cliOneHost = best(one);
// The reinstall of one host as an operator does it: `provision disable|enable HOST` (which leaves
// the parse cache warm), then the sync.
const flip = [];
const syncAfterFlip = [];
for (let i = 0; i < 3; i++) {
  for (const action of ['disable', 'enable']) {
    const started = performance.now();
    execFileSync(process.execPath, [join(root, 'bin/muster.js'), 'provision', action, 'n00007.dc1.lan', '-i', yamlPath, '-q'], { stdio: 'ignore' });
    flip.push(performance.now() - started);
    syncAfterFlip.push(cli());
  }
}
results.cliEnable = best(flip);
results.cliSyncAfterEnable = best(syncAfterFlip);

// In process: the inventory loaded once, as a long-running caller (muster serve) would have it,
// and read again after each edit as serve reads it (InventoryReparser: only the edited entry).
const reparser = new InventoryReparser();
const inventory = () => reparser.parse([{ path: yamlPath, text: readFileSync(yamlPath, 'utf8') }]);
const inv = inventory();
rmSync(out, { recursive: true, force: true });
let t = performance.now();
const report = await syncProvision(inv, { dir: out, url });
results.libFull = performance.now() - t;
results.files = report.created.length;
const libUnchanged = [];
for (let i = 0; i < 3; i++) {
  t = performance.now();
  await syncProvision(inv, { dir: out, url });
  libUnchanged.push(performance.now() - t);
}
results.libUnchanged = best(libUnchanged);
// From the edited text to DIR: the entry read again, then the sync.
const libOne = [];
const libReparse = [];
for (let i = 0; i < 3; i++) {
  editOneHost();
  const text = readFileSync(yamlPath, 'utf8');
  t = performance.now();
  const edited = reparser.parse([{ path: yamlPath, text }]);
  libReparse.push(performance.now() - t);
  if (reparser.lastWay !== 'one entry') throw new Error(`the one-host edit was parsed ${reparser.lastWay}`);
  const changed = await syncProvision(edited, { dir: out, url });
  libOne.push(performance.now() - t);
  results.libOneHostChanged = changed.changed;
}
results.libOneHost = best(libOne);
results.libReparse = best(libReparse);
const parse = performance.now();
parseInventory([{ path: yamlPath, text: readFileSync(yamlPath, 'utf8') }]);
results.parseMs = performance.now() - parse;

// `muster serve --provision-dir`: from a hand edit of one IP to that host's reservation in DIR
// (serve's file watch, its settle time for a file still being written, the parse, the sync).
const { startServer } = await import(join(root, 'dist/serve/index.js'));
const served = join(work, 'served');
// When serve said it had the edit read and parsed, and when DIR was synced.
const heard = { reloaded: 0, synced: 0 };
const quiet = { log: () => undefined, note: (what) => { if (what === 'reloaded') heard.reloaded = performance.now(); if (what === 'provision: synced') heard.synced = performance.now(); }, flush: () => undefined };
const server = await startServer({ inventory: { path: yamlPath }, port: 0, accessLog: quiet, provision: { dir: served, url } });
const dhcpHosts = join(served, 'dhcp-hosts');
const waitFor = async (needle) => {
  const deadline = performance.now() + 30_000;
  while (!(existsSync(dhcpHosts) && readFileSync(dhcpHosts, 'utf8').includes(needle))) {
    if (performance.now() > deadline) throw new Error(`serve --provision-dir: ${needle} not in ${dhcpHosts} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const until = async (ready) => {
  const deadline = performance.now() + 30_000;
  while (!ready()) {
    if (performance.now() > deadline) throw new Error('serve --provision-dir: no sync note after 30 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};
await waitFor('n00000');
const servedEdits = [];
const servedSyncs = [];
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  const ip = editOneHost();
  await waitFor(`,${ip},`);
  servedEdits.push(performance.now() - started);
  await until(() => heard.synced > heard.reloaded);
  servedSyncs.push(heard.synced - heard.reloaded);
}
await server.close();
results.serveOneHost = best(servedEdits);
results.serveReloadedToSynced = best(servedSyncs);

for (const [key, value] of Object.entries(results)) console.log(`${key.padEnd(18)} ${typeof value === 'number' ? `${value.toFixed(0)}${key === 'files' ? '' : ' ms'}` : JSON.stringify(value)}`);
console.log(`goals: full < 5000 ms (${results.cliFull < 5000 ? 'met' : 'missed'}), one-host change < 100 ms (CLI ${results.cliOneHost < 100 ? 'met' : 'missed'}, serve's sync from the edited text ${results.libOneHost < 100 ? 'met' : 'missed'})`);
// KEEP=1 keeps the generated fleet (for profiling).
if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
