/**
 * Taking a lab down: every host stopped (found by pid file, else by the boot
 * script on its command line), every mount under the lab's folder unmounted, the
 * folder removed, the address block given back.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labAgentsState } from './files.js';
import { pooledAll } from '../core/pool.js';
import { commandLine, isAlive, killAndWait, stopHost } from './host.js';
import { claimsOf, labDir, labPaths, readLabState, releaseNet } from './state.js';

const run = promisify(execFile);

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points of this mount namespace at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text.split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescapeMountPath)
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * The brokers (nats-server) a lab with agents started on this machine, by their pid files
 * under its state folder (`agents.state/broker/*.pid`): they run outside the hosts, so
 * stopping the hosts does not end them. The CLI stops them properly first (broker down);
 * this sweep is for a lab taken down by the library or after a crash.
 */
async function labBrokers(dir: string): Promise<number[]> {
  const brokerDir = join(dir, labAgentsState, 'broker');
  const pids: number[] = [];
  for (const entry of await readdir(brokerDir).catch(() => [] as string[])) {
    if (!entry.endsWith('.pid')) continue;
    const pid = Number((await readFile(join(brokerDir, entry), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const line = await commandLine(pid).catch(() => undefined);
    if (line?.includes('nats-server') && line.includes(dir) && (await isAlive(pid))) pids.push(pid);
  }
  return pids;
}

/** Processes whose command line runs this lab's boot script (hosts whose pid file was lost). */
async function strayBoots(bootScript: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const line = await commandLine(Number(entry)).catch(() => undefined);
    if (line?.includes(` ${bootScript} `) && (await isAlive(Number(entry)))) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Removes lab `name` and everything it made, and only that: stops every host
 * (their processes end with their PID namespaces), unmounts the lab's tmpfs,
 * deletes its folder and gives back its address block. Resolves false when there
 * was no such lab. Safe on a half-made lab.
 */
export async function labDown(name = 'default'): Promise<boolean> {
  const dir = labDir(name);
  const paths = labPaths(dir);
  const state = await readLabState(dir);
  const names = new Set(state?.hosts.map((host) => host.name) ?? []);
  for (const entry of await readdir(paths.hosts).catch(() => [] as string[])) names.add(entry);
  const claims = await claimsOf(dir);
  const mounts = await mountsUnder(dir);
  if (!state && names.size === 0 && mounts.length === 0 && claims.length === 0) {
    const existed = await rm(dir, { recursive: true }).then(() => true, () => false);
    return existed;
  }
  await pooledAll(names, async (host) => {
    await stopHost(paths, host);
  }, { limit: 32 });
  const brokers = await labBrokers(dir);
  if (brokers.length > 0) await killAndWait(brokers);
  // A host whose pid file was never written or was lost is still found by its command line.
  const strays = await strayBoots(paths.boot);
  if (strays.length > 0) {
    const children = await Promise.all(strays.map(async (pid) =>
      (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number)));
    await killAndWait([...children.flat(), ...strays]);
  }
  for (const point of await mountsUnder(dir)) {
    await run('umount', [point]).catch(async () => run('umount', ['-l', point]));
  }
  await rm(dir, { recursive: true, force: true });
  for (const net of claims) await releaseNet(dir, net);
  return true;
}
