#!/usr/bin/env node
// Requests every route family of a running `muster serve` once (every host in
// every format, every role and group, the fleet lists), so its prepared-response
// cache holds all of them; then prints the server's RSS:
//   node bench/serve-warm.mjs URL PID
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

const [url, pid] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const get = (path) => new Promise((resolve, reject) => {
  request(`${url}${path}`, { agent }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  }).on('error', reject).end();
});
const rssMb = () => +(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024).toFixed(1);
const before = rssMb();
const hosts = JSON.parse(await get('/v1/hosts.json')).map((h) => h.name);
const roles = JSON.parse(await get('/v1/roles.json')).map((r) => r.name);
const groups = JSON.parse(await get('/v1/groups.json')).map((g) => g.name);
const paths = ['/v1/hosts.yaml', '/v1/hosts.sh'];
for (const fmt of ['json', 'yaml', 'sh']) {
  for (const h of hosts) paths.push(`/v1/hosts/${encodeURIComponent(h)}.${fmt}`);
  for (const r of roles) paths.push(`/v1/roles/${encodeURIComponent(r)}.${fmt}`, `/v1/roles/${encodeURIComponent(r)}/hosts.${fmt}`);
  for (const g of groups) paths.push(`/v1/groups/${encodeURIComponent(g)}.${fmt}`);
}
const started = Date.now();
for (let i = 0; i < paths.length; i += 8) await Promise.all(paths.slice(i, i + 8).map(get));
console.log(JSON.stringify({ hosts: hosts.length, prepared_responses: paths.length + 3, rss_before_mb: before, rss_after_mb: rssMb(), warm_seconds: (Date.now() - started) / 1000 }));
agent.destroy();
