#!/usr/bin/env node
// Opens N idle watchers (blocking queries) on a running `muster serve` and
// measures the server's RSS and CPU before and while they wait:
//   node bench/serve-watchers.mjs URL PID [N=1000] [IDLE_SECONDS=3]
// Prints one JSON object. The watchers are closed at the end.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';

const [url, pid, n = '1000', idle = '3'] = process.argv.slice(2);
if (!url || !pid) {
  console.error('usage: node bench/serve-watchers.mjs URL PID [N] [IDLE_SECONDS]');
  process.exitCode = 2;
} else {
  const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  const cpuTicks = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
  };
  const getJson = (path) => new Promise((resolve, reject) => {
    request(`${url}${path}`, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject).end();
  });
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const { index } = await getJson('/v1/health');
  await sleep(500);
  const before = rssKb();
  const requests = [];
  for (let i = 0; i < Number(n); i++) {
    const req = request(`${url}/v1/roles/web/hosts.json?index=${index}&wait=5m`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    requests.push(req);
  }
  let watching = 0;
  for (let tries = 0; tries < 200 && watching < Number(n); tries++) {
    await sleep(50);
    watching = (await getJson('/v1/status')).watchers;
  }
  await sleep(500);
  const cpu0 = cpuTicks();
  await sleep(Number(idle) * 1000);
  const cpuIdle = cpuTicks() - cpu0;
  const during = rssKb();
  for (const req of requests) req.destroy();
  console.log(JSON.stringify({ watchers: watching, rss_before_mb: +(before / 1024).toFixed(1), rss_with_watchers_mb: +(during / 1024).toFixed(1), added_mb: +((during - before) / 1024).toFixed(1), cpu_seconds_while_idle: cpuIdle / 100, idle_seconds: Number(idle) }));
}
