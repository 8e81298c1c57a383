/**
 * One lab host's life: boot it (unshare + the boot script + sshd), find its
 * processes, wait until its sshd greets, and stop it (kill its PID namespace).
 *
 * A host's processes: `unshare` (in the machine's namespaces, its pid in
 * hosts/NAME/pid) and its only child, sshd, PID 1 of the host's PID namespace.
 * Killing that sshd makes the kernel kill every other process of the host.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { EnvironmentError } from '../core/errors.js';

/** The processes of a running host. */
export interface HostProcess {
  /** The `unshare` process, in the machine's PID namespace. */
  unshare: number;
  /** PID 1 of the host (sshd), as the machine sees it; what `nsenter -t` needs. */
  init: number;
}

function hostRunDir(hostsDir: string, host: string): string {
  return join(hostsDir, host);
}

/** The path of a host's log: the boot script's errors and sshd's own (LogLevel ERROR). */
export function hostLogPath(hostsDir: string, host: string): string {
  return join(hostRunDir(hostsDir, host), 'log');
}

/** A /proc or state file's text; undefined when it (or its process) is gone. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
}

/** Whether a pid is a live process (not gone, not a zombie). */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  // The state follows the parenthesised command name, which may itself contain ") ".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X' && state !== '';
}

/** The command line of a pid, NUL-separated arguments joined by spaces, or undefined when gone. */
export async function commandLine(pid: number): Promise<string | undefined> {
  const text = await readText(`/proc/${pid}/cmdline`);
  return text === undefined ? undefined : text.split('\0').join(' ').trim();
}

/** The pids of a process's children, from /proc. */
export async function childrenOf(pid: number): Promise<number[]> {
  const text = await readText(`/proc/${pid}/task/${pid}/children`);
  return (text ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The command line that marks a host's unshare process as ours. */
function bootMarker(bootScript: string, host: string, hostFsDir: string): string {
  return `${bootScript} ${host} ${hostFsDir}`;
}

/**
 * Finds a host's running processes from its pid file, checking the pid still
 * belongs to this host (pids are reused). Undefined when the host is stopped.
 */
export async function hostProcess(paths: { boot: string; fs: string; hosts: string }, host: string): Promise<HostProcess | undefined> {
  const text = await readText(join(hostRunDir(paths.hosts, host), 'pid'));
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!(await isAlive(pid))) return undefined;
  const line = await commandLine(pid);
  if (!line?.endsWith(bootMarker(paths.boot, host, join(paths.fs, host)))) return undefined;
  const children = await childrenOf(pid);
  const init = children.find((child) => Number.isInteger(child) && child > 0);
  if (init === undefined || !(await isAlive(init))) return undefined;
  return { unshare: pid, init };
}

/**
 * Starts a host: spawns `unshare` running the boot script, detached, so the host
 * outlives the process that started it. Resolves once sshd answers with its SSH
 * banner on ADDRESS:22; rejects with the host's log when it dies first or does not
 * answer within `timeoutMs`.
 */
export async function bootHost(
  paths: { boot: string; fs: string; hosts: string },
  host: { name: string; address: string },
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<void> {
  const runDir = hostRunDir(paths.hosts, host.name);
  await mkdir(runDir, { recursive: true });
  const log = hostLogPath(paths.hosts, host.name);
  const fd = openSync(log, 'a');
  let child;
  try {
    child = spawn(
      'unshare',
      ['--mount', '--uts', '--pid', '--fork', '--propagation', 'private', '--kill-child', '/bin/sh', paths.boot, host.name, join(paths.fs, host.name)],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  child.unref();
  const exited = new Promise<never>((_resolve, reject) => {
    const fail = (detail: string): void => {
      void readText(log).then((text) => {
        const tail = (text ?? '').trim().split('\n').slice(-3).join(' | ');
        reject(new EnvironmentError(`Lab host ${host.name} did not start (${detail})${tail ? `: ${tail}` : ''}`));
      });
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  if (child.pid === undefined) return exited;
  await writeFile(join(runDir, 'pid'), `${child.pid}\n`);
  // Keep the early-exit rejection from being reported as unhandled once sshd is up.
  exited.catch(() => undefined);
  await Promise.race([waitForSsh(host.address, options), exited]);
}

/**
 * Waits until an sshd greets on ADDRESS:22 (its `SSH-2.0-…` banner arrives),
 * polling every 20 ms. Rejects after `timeoutMs` (20 s) or when `signal` aborts.
 */
export async function waitForSsh(address: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 20_000);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  while (!signal.aborted) {
    if (await sshGreets(address, signal)) return;
    await pause(20, signal);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  throw new EnvironmentError(`No sshd answered on ${address}:22 within ${(options.timeoutMs ?? 20_000) / 1000}s`);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * One probe of ADDRESS:22: 'greets' when an SSH banner arrives, 'refused' when
 * the connection is refused, 'other' otherwise (reset, timeout, no banner).
 */
export function probeSsh(address: string, signal?: AbortSignal): Promise<'greets' | 'refused' | 'other'> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: 22 });
    let settled = false;
    const finish = (result: 'greets' | 'refused' | 'other'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish('other');
    const timer = setTimeout(() => finish('other'), 2_000);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('data', (data) => {
      const greets = data.toString('latin1').startsWith('SSH-');
      // Answer with our own banner, so sshd logs nothing about a client that said nothing.
      if (greets) socket.end('SSH-2.0-muster-lab-probe\r\n', () => finish('greets'));
      else finish('other');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? 'refused' : 'other'));
    socket.once('close', () => finish('other'));
  });
}

async function sshGreets(address: string, signal: AbortSignal): Promise<boolean> {
  return (await probeSsh(address, signal)) === 'greets';
}

/**
 * Stops a host the way pulling its plug would: SIGKILL to its PID 1 ends every
 * process in it, then its unshare exits. Resolves when both are gone (5 s at most).
 * Its files stay (its upper dir is outside the host); /tmp and /run, being tmpfs
 * inside it, are emptied, as a reboot would.
 */
export async function stopHost(paths: { boot: string; fs: string; hosts: string }, host: string): Promise<boolean> {
  const running = await hostProcess(paths, host);
  if (!running) return false;
  await killAndWait([running.init, running.unshare]);
  return true;
}

/** SIGKILLs the pids and waits until none is alive (5 s at most). */
export async function killAndWait(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  const deadline = Date.now() + 5_000;
  const signal = new AbortController().signal;
  for (;;) {
    const alive = await Promise.all(pids.map(isAlive));
    if (!alive.some(Boolean)) return;
    if (Date.now() > deadline) throw new EnvironmentError(`Processes ${pids.join(', ')} did not end within 5s of SIGKILL`);
    await pause(10, signal);
  }
}
