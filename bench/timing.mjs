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
