#!/usr/bin/env node
// `muster nodeset` (bin/muster.js, this checkout's dist/) against ClusterShell's
// `nodeset` on the same sets, in one run: fold, expand and count of a 1-D and a
// 2-D million-name set, given as a pattern, and folds of name lists on stdin.
// Each case runs ROUNDS times (default 3), the two tools alternated round by
// round so that load weighs on both alike; medians of wall time and of CPU
// (user+sys, from /usr/bin/time, the steadier number on a busy machine), and
// the ratio muster/ClusterShell. Both tools' outputs are compared (sha256).
//
//   npx tsc -p tsconfig.json && node bench/nodeset.mjs
//
// Environment: ROUNDS (3), SKIP_SLOW=1 leaves out the 1M-name stdin fold
// (ClusterShell takes about 30 s of CPU for it).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const muster = fileURLToPath(new URL('../bin/muster.js', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'muster-bench-nodeset-'));

const oneD = 'n[1-1000000]';
const twoD = 'tronic[1-5000]c[1-200]p3';
const flag = { fold: '-f', expand: '-e', count: '-c' };

function names(pattern, file) {
  // The list comes from ClusterShell, so the input is the same whoever wrote it.
  return run(['nodeset', '-S', '\\n', '-e', pattern], file);
}

const cases = [];
for (const [label, pattern] of [['1-D', oneD], ['2-D', twoD]]) {
  for (const action of ['fold', 'expand', 'count']) {
    cases.push({ name: `${action} ${label} ${pattern}`, muster: ['node', muster, 'nodeset', action, pattern], clush: ['nodeset', flag[action], pattern] });
  }
}
const list2 = join(work, 'names-2d.txt');
cases.push({ name: 'fold 2-D 10k names on stdin', muster: ['node', muster, 'nodeset', 'fold'], clush: ['nodeset', '-f'], stdin: list2, prepare: () => names('tronic[1-500]c[1-20]p3', list2) });
if (!process.env.SKIP_SLOW) {
  const list1 = join(work, 'names-1d.txt');
  cases.push({ name: 'fold 1-D 1M names on stdin', muster: ['node', muster, 'nodeset', 'fold'], clush: ['nodeset', '-f'], stdin: list1, prepare: () => names(oneD, list1) });
}

/** Runs a command under /usr/bin/time; stdout goes to `out` (a file). */
function run(cmd, out, stdin) {
  const timeFile = join(work, 'time.txt');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...cmd], {
      stdio: [stdin ? openSync(stdin, 'r') : 'ignore', openSync(out, 'w'), 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => {
      const [wall, user, sys, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
      if (code !== 0) reject(new Error(`${cmd.join(' ')}: exit ${code}: ${stderr.trim()}`));
      else resolve({ wall, cpu: user + sys, mb: kb / 1024 });
    });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const digest = (file) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);

const rows = [];
try {
  for (const c of cases) {
    await c.prepare?.();
    const times = { muster: [], clush: [] };
    const outputs = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const tool of round % 2 === 0 ? ['muster', 'clush'] : ['clush', 'muster']) {
        const out = join(work, `${tool}.out`);
        times[tool].push(await run(c[tool], out, c.stdin));
        outputs[tool] = digest(out);
      }
    }
    const m = (tool, key) => median(times[tool].map((t) => t[key]));
    rows.push({
      case: c.name,
      'muster cpu s': m('muster', 'cpu').toFixed(2),
      'clush cpu s': m('clush', 'cpu').toFixed(2),
      'cpu ratio': (m('muster', 'cpu') / m('clush', 'cpu')).toFixed(2),
      'muster wall s': m('muster', 'wall').toFixed(2),
      'clush wall s': m('clush', 'wall').toFixed(2),
      'wall ratio': (m('muster', 'wall') / m('clush', 'wall')).toFixed(2),
      'muster MB': m('muster', 'mb').toFixed(0),
      'clush MB': m('clush', 'mb').toFixed(0),
      'same output': outputs.muster === outputs.clush ? 'yes' : 'NO',
    });
    process.stderr.write(`${c.name}: done\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.table(rows);
writeFileSync(process.stdout.fd, `${ROUNDS} rounds, medians; ratio = muster / ClusterShell (below 1: muster is faster)\n`);
