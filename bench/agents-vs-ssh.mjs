#!/usr/bin/env node
// `muster run all -- true` on N lab hosts over ssh and over agents (NATS), side by side in
// one run: `muster lab up N --agents` (real sshd and a real `muster agent` in every host, a
// real nats-server), then ROUNDS rounds, each timing ssh then nats (alternating which goes
// first, so neither always gets the warmer machine). Wall time and the client's CPU
// (user+sys of its whole process tree, /usr/bin/time), median, and nats/ssh.
// Goal (issue 11): agents take <= 0.3x the ssh wall time on 100 hosts.
//
//   npx tsc -p tsconfig.json && node bench/agents-vs-ssh.mjs
//   N=20 ROUNDS=1 node bench/agents-vs-ssh.mjs        # a quick sanity run
//
// Environment: N (100), ROUNDS (5), FORKS (= N, for both), LAB (bench-agents), KEEP_LAB=1.
// Prints a Markdown table; also writes it to bench/results/agents-vs-ssh-N.md.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, ratio, timed, whenLabAvailable } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const N = Number(process.env.N ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const FORKS = String(process.env.FORKS ?? N);
const LAB = process.env.LAB ?? 'bench-agents';
const muster = [process.execPath, join(root, 'bin/muster.js')];

const { labUnavailableReason } = await import(join(root, 'dist/lab/index.js'));
await whenLabAvailable(labUnavailableReason, main);

async function main() {
  process.stderr.write(`bench: lab "${LAB}" with ${N} hosts and agents…\n`);
  const started = performance.now();
  const { stdout } = await run(muster[0], [...muster.slice(1), 'lab', 'up', String(N), '--agents', '--name', LAB, '--json'], { maxBuffer: 64 << 20 });
  const lab = JSON.parse(stdout.trim().split('\n').at(-1));
  process.stderr.write(`bench: lab up with agents in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const work = await mkdtemp(join(tmpdir(), 'muster-bench-agents-'));
  const env = { MUSTER_INVENTORY: lab.inventoryPath, NO_COLOR: '1' };
  const cmd = (transport) => [...muster, 'run', 'all', '-f', FORKS, '--transport', transport, '--', 'true'];
  const results = { ssh: [], nats: [] };
  try {
    // One untimed round each: the parse cache, the page cache, the brokers' first routes.
    for (const transport of ['ssh', 'nats']) {
      const warm = await timed(cmd(transport), env, work);
      if (!warm.ok) throw new Error(`run over ${transport} failed (exit ${warm.code}): ${warm.tail}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['ssh', 'nats'] : ['nats', 'ssh'];
      for (const transport of order) {
        const result = await timed(cmd(transport), env, work);
        if (!result.ok) process.stderr.write(`bench: round ${round + 1} over ${transport} exited ${result.code}: ${result.tail}\n`);
        results[transport].push(result);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
    if (!process.env.KEEP_LAB) await run(muster[0], [...muster.slice(1), 'lab', 'down', '--name', LAB]).catch(() => undefined);
  }
  const wall = (transport) => median(results[transport].map((result) => result.wall));
  const cpu = (transport) => median(results[transport].map((result) => result.cpu));
  const all = (transport) => results[transport].map((result) => result.wall.toFixed(2)).join(', ');
  const table = [
    `\`muster run all -f ${FORKS} -- true\` on ${N} lab hosts, median of ${ROUNDS} rounds (alternating order)`,
    '',
    '| transport | wall | client CPU | every round (s) |',
    '| --- | ---: | ---: | --- |',
    `| ssh | ${wall('ssh').toFixed(2)} s | ${cpu('ssh').toFixed(2)} s | ${all('ssh')} |`,
    `| nats (agents) | ${wall('nats').toFixed(2)} s | ${cpu('nats').toFixed(2)} s | ${all('nats')} |`,
    '',
    `nats/ssh: wall ${ratio(wall('nats'), wall('ssh'))}, CPU ${ratio(cpu('nats'), cpu('ssh'))} (goal: wall <= 0.3x)`,
    '',
  ].join('\n');
  process.stdout.write(table);
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(join(root, `bench/results/agents-vs-ssh-${N}.md`), table);
}
