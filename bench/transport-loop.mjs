#!/usr/bin/env node
// A bare transport loop: connect + exec('hostname') + close on every host of a lab,
// all at once (bounded by --forks), measuring wall time and this process's CPU.
// It isolates the transport from the run engine and the CLI; bench/run-vs-peers
// compares the whole `muster run` with clush/pdsh/pssh.
//
//   node bench/transport-loop.mjs [--hosts 100] [--forks 100] [--rounds 3]
//        [--transport ssh|openssh] [--lab NAME] [--keep]
//
// Needs root (the lab). Builds dist/ first: `npx tsc -p tsconfig.json`.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { labDown, labUp } from '../dist/lab/index.js';
import { transportFor } from '../dist/transport/index.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100' },
    forks: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    transport: { type: 'string', default: 'ssh' },
    lab: { type: 'string', default: 'bench-transport' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(values.hosts);
const forks = Number(values.forks);
const rounds = Number(values.rounds);

const lab = await labUp({ name: values.lab, count });
const targets = lab.hosts.map((host) => ({ name: host.name, address: host.address, sshConfig: lab.sshConfigPath }));

/** Runs `work` on every item with at most `limit` at once. */
async function pool(items, limit, work) {
  let next = 0;
  const results = [];
  async function lane() {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

try {
  const rows = [];
  for (let round = 1; round <= rounds; round++) {
    // A fresh transport per round, as per operation: files are re-read, connections are cold.
    // The connect timeout is the transport's (connect takes only a signal); 30 s rather than the
    // default 10 s, so that a lab loaded by --forks hosts connecting at once is measured, not timed out.
    const transport = transportFor(values.transport, { sshConfig: { userConfig: null }, connectTimeoutMs: 30_000 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const results = await pool(targets, forks, async (target) => {
      try {
        const session = await transport.connect(target);
        try {
          const result = await session.exec('hostname');
          return result.exitCode === 0 && result.stdout.toString().trim() === target.name;
        } finally {
          session.close();
        }
      } catch (error) {
        console.error(`${target.name}: ${error.message}`);
        return false;
      }
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const ok = results.filter(Boolean).length;
    rows.push({ round, ok, wall, cpuS });
    console.log(`round ${round}: ${ok}/${targets.length} ok, wall ${wall.toFixed(2)} s, client CPU ${cpuS.toFixed(2)} s (${(cpuS * 1000 / targets.length).toFixed(1)} ms/host)`);
  }
  const best = rows.reduce((a, b) => (b.wall < a.wall ? b : a));
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(`${values.transport}, ${targets.length} hosts, forks ${forks}: median wall ${median(rows.map((r) => r.wall)).toFixed(2)} s, `
    + `median CPU ${median(rows.map((r) => r.cpuS)).toFixed(2)} s; best wall ${best.wall.toFixed(2)} s`);
  // Note: openssh's CPU is spent in child ssh processes, which process.cpuUsage() does not count;
  // use `/usr/bin/time -v` (children included) to compare it.
} finally {
  if (!values.keep) await labDown(values.lab);
}
