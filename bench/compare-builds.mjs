#!/usr/bin/env node
// One muster command timed with two builds of muster on the same lab fleet,
// alternated round by round so that a machine getting busier or quieter weighs on
// both alike; medians of wall time and client CPU (user+sys, from /usr/bin/time).
// For checking that a change kept muster's speed ("unchanged within noise").
//
//   git worktree add /tmp/before <rev> && (cd /tmp/before && npm ci && npx tsc -p tsconfig.json)
//   BEFORE=/tmp/before node bench/compare-builds.mjs run all -f 100 -- hostname
//   BEFORE=/tmp/before node bench/compare-builds.mjs push all ./1MB.bin '/tmp/dest-{n}' -f 100
//
// `{n}` in an argument becomes a name unique to the build and round (a fresh DEST
// for push). Environment: BEFORE (required: a checkout with a tsc build), AFTER
// (this checkout), N hosts (100), ROUNDS (6), LAB name (bench-builds). Needs root.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const builds = { before: process.env.BEFORE, after: process.env.AFTER ?? root };
const N = Number(process.env.N ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const LAB = process.env.LAB ?? 'bench-builds';
const args = process.argv.slice(2);

if (!builds.before || args.length === 0) {
  process.stderr.write('usage: BEFORE=CHECKOUT node bench/compare-builds.mjs MUSTER-ARGS… (see the comment at the top)\n');
  process.exitCode = 2;
} else {
  await main();
}

async function main() {
  const { labUp, labDown } = await import(join(root, 'dist/lab/index.js'));
  const lab = await labUp({ name: LAB, count: N });
  const state = await mkdtemp(join(tmpdir(), 'muster-bench-'));
  const times = { before: [], after: [] };
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const [name, dir] of Object.entries(builds)) {
        const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, join(resolve(dir), 'bin/muster.js'),
          ...args.map((arg) => arg.replaceAll('{n}', `${name}-${round}`))], {
          env: { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: state, NO_COLOR: '1' },
          encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'],
        });
        const [wall, user, sys] = run.stderr.trim().split('\n').at(-1).split(' ').map(Number);
        if (run.status !== 0) process.stderr.write(`bench: ${name} round ${round} exited ${run.status}\n`);
        times[name].push({ wall, cpu: user + sys });
        process.stderr.write(`bench: round ${round}/${ROUNDS} ${name.padEnd(6)} ${wall.toFixed(2)}s wall, ${(user + sys).toFixed(2)}s CPU\n`);
      }
    }
  } finally {
    await labDown(LAB);
    await rm(state, { recursive: true, force: true });
  }
  const row = (name) => `| ${name} | ${median(times[name].map((t) => t.wall)).toFixed(2)} | ${median(times[name].map((t) => t.cpu)).toFixed(2)} |`;
  process.stdout.write([`\`muster ${args.join(' ')}\` on ${N} lab hosts, builds alternated, median of ${ROUNDS} rounds`, '',
    '| build | wall (s) | client CPU (s) |', '| --- | ---: | ---: |', row('before'), row('after'), ''].join('\n'));
}
