// Timing helpers shared by the peer benchmarks: every tool, muster included, is
// measured the same way, from outside, by /usr/bin/time.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Runs one command under /usr/bin/time; wall and user+sys of its whole waited-for process tree. */
export function timed(cmd, env, work) {
  const timeFile = join(work, 'time.txt');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, ...cmd], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.stderr.on('data', (chunk) => { out += chunk; });
    child.once('error', reject);
    child.once('close', async (code) => {
      try {
        const [wall, user, sys] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1).split(' ').map(Number);
        resolve({ wall, cpu: user + sys, ok: code === 0, code, tail: out.trim().split('\n').slice(-2).join(' | ') });
      } catch (error) {
        reject(error);
      }
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** muster's figure over a peer's, as `0.25x`: below 1 means muster took less. */
export function ratio(mine, theirs) {
  return theirs > 0 ? `${(mine / theirs).toFixed(2)}x` : '–';
}

/**
 * The Markdown table of operations run by muster and its peers: `rows` are `{ operation, tool,
 * samples: [{ wall, cpu, ok }] }`, medians shown, each row's ratio against muster's row of the
 * same operation, then the line that says how to read the ratios.
 */
export function peersTable(rows) {
  const lines = [
    '| operation | tool | wall (s) | client CPU (s) | muster wall ratio | muster CPU ratio |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const operation of [...new Set(rows.map((row) => row.operation))]) {
    const group = rows.filter((row) => row.operation === operation).map((row) => ({
      ...row, wall: median(row.samples.map((s) => s.wall)), cpu: median(row.samples.map((s) => s.cpu)), ok: row.samples.every((s) => s.ok),
    }));
    const mine = group.find((row) => row.tool === 'muster');
    for (const row of group) {
      lines.push(`| ${operation} | ${row.tool}${row.ok ? '' : ' (errors)'} | ${row.wall.toFixed(2)} | ${row.cpu.toFixed(2)} | ${mine ? ratio(mine.wall, row.wall) : '–'} | ${mine ? ratio(mine.cpu, row.cpu) : '–'} |`);
    }
  }
  lines.push('', 'Ratios are muster / tool: below 1.00x means muster took less.', '');
  return lines;
}

/** Runs a benchmark's `main` when a lab can come up here; else says why and exits 1. */
export async function whenLabAvailable(labUnavailableReason, main) {
  const unavailable = await labUnavailableReason();
  if (unavailable) {
    process.stderr.write(`bench: cannot bring up a lab: ${unavailable}\n`);
    process.exitCode = 1;
    return;
  }
  await main();
}
