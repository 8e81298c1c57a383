/**
 * Looking at the processes of lab hosts from this machine, for tests that
 * check a stopped host or a killed command really left nothing running.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Pids (as this machine sees them, across the hosts' PID namespaces) whose command line contains `text`. */
export async function pidsRunning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process that ended between readdir and here has no cmdline any more: not running.
    const line = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (line.split('\0').join(' ').includes(text)) pids.push(Number(entry));
  }
  return pids;
}
