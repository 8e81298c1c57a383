/**
 * Long-running processes inside lab hosts (an agent, a test server): started in the
 * host's namespaces like labExec, but detached, so they outlive the call that started
 * them, and inside the host's PID namespace, so they die with the host as any process
 * of a real server dies with it.
 *
 * A daemon NAME of host HOST keeps its files beside the host's own: `hosts/HOST/NAME.log`
 * (its stdout and stderr) and `hosts/HOST/NAME.pid` (`PID STARTTIME`, the pid as this
 * machine sees it and the kernel's start time, so a reused pid is never taken for it).
 *
 * How: `nsenter -t INIT -m -u -p -r -w -- ARGV` spawned detached (its own session, no
 * terminal). nsenter forks to enter the PID namespace and waits for its child; the child
 * is the daemon. The nsenter process stays in the machine's namespace and ends with it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvironmentError, UsageError } from '../core/errors.js';
import { childrenOf, hostProcess, isAlive, readText } from './host.js';
import { labPaths, requireHost, requireState } from './state.js';

/** A daemon of a lab host, as labDaemons sees it. */
export interface LabDaemon {
  host: string;
  name: string;
  /** Its pid as this machine sees it (what `kill` needs). */
  pid: number;
  /** Its stdout and stderr. */
  log: string;
}

/** Options of labStartDaemon. */
export interface LabDaemonOptions {
  /** Added to the daemon's plain environment (PATH, HOME, USER, LANG as labExec has). */
  env?: Record<string, string>;
  /** How long to wait for the daemon's process to appear (default 5 s). */
  timeoutMs?: number;
}

const daemonName = /^[a-z][a-z0-9-]{0,30}$/;

/** Checks a daemon name (it names files beside the host's `pid` and `log`). */
function checkDaemonName(name: string): string {
  if (!daemonName.test(name)) throw new UsageError(`Invalid daemon name "${name}": a lower-case letter, then letters, digits or "-"`);
  return name;
}

/** Where a host's daemon keeps its pid and log. */
export function daemonPaths(hostsDir: string, host: string, name: string): { pid: string; log: string } {
  return { pid: join(hostsDir, host, `${checkDaemonName(name)}.pid`), log: join(hostsDir, host, `${name}.log`) };
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the parenthesised command name (which may hold spaces), from field 3 on.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function pidNamespace(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/ns/pid`).catch(() => undefined);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function logTail(log: string): Promise<string> {
  const text = (await readText(log)) ?? '';
  return text.trim().split('\n').slice(-3).join(' | ');
}

/**
 * The live pid of daemon `name` of a host, checked against its recorded start time and
 * the host's PID namespace (`init` is the host's PID 1); undefined when it is not running.
 */
async function livePid(hostsDir: string, host: string, name: string, init: number | undefined): Promise<number | undefined> {
  const [pidText, started] = ((await readText(daemonPaths(hostsDir, host, name).pid)) ?? '').trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || init === undefined) return undefined;
  if (!(await isAlive(pid)) || (await startTime(pid)) !== started) return undefined;
  const [own, hosts] = await Promise.all([pidNamespace(pid), pidNamespace(init)]);
  return own !== undefined && own === hosts ? pid : undefined;
}

/**
 * Starts `argv` as daemon `name` inside a running host of lab `lab` (as root, in the host's
 * root, cwd `/`), appending its output to `hosts/HOST/NAME.log`. Resolves once its process
 * exists, with its pid; it may still fail afterwards (read its log). A daemon of that name
 * already running is a UsageError (stop it first); a stopped host is an EnvironmentError.
 */
export async function labStartDaemon(lab: string, host: string, name: string, argv: string[], options: LabDaemonOptions = {}): Promise<LabDaemon> {
  checkDaemonName(name);
  if (argv.length === 0) throw new UsageError('A daemon needs a command');
  const { dir, state } = await requireState(lab);
  const found = requireHost(state, host);
  const paths = labPaths(dir);
  const running = await hostProcess(paths, found.name);
  if (!running) throw new EnvironmentError(`Lab host ${found.name} of lab "${lab}" is stopped`);
  const files = daemonPaths(paths.hosts, found.name, name);
  if (await livePid(paths.hosts, found.name, name, running.init)) {
    throw new UsageError(`Daemon ${name} of lab host ${found.name} is already running (stop it first)`);
  }
  await mkdir(join(paths.hosts, found.name), { recursive: true });
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', USER: 'root', LOGNAME: 'root', LANG: 'C.UTF-8', ...options.env };
  const fd = openSync(files.log, 'a');
  let child;
  try {
    child = spawn('nsenter', ['-t', String(running.init), '-m', '-u', '-p', '-r', '-w', '--', ...argv], { detached: true, env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.unref();
  let ended: string | undefined;
  child.once('error', (error) => { ended = error.message; });
  child.once('exit', (code, signal) => { ended = signal ? `killed by ${signal}` : `exit code ${code}`; });
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  // nsenter forks the daemon at once; poll for that child (a few ms), as no event tells it.
  for (;;) {
    const [pid] = child.pid === undefined ? [] : await childrenOf(child.pid);
    const started = pid === undefined ? undefined : await startTime(pid);
    if (pid !== undefined && started !== undefined) {
      await writeFile(files.pid, `${pid} ${started}\n`);
      return { host: found.name, name, pid, log: files.log };
    }
    if (ended !== undefined || Date.now() > deadline) {
      const tail = await logTail(files.log);
      throw new EnvironmentError(`Daemon ${name} of lab host ${found.name} did not start (${ended ?? 'no process'})${tail ? `: ${tail}` : ''}`);
    }
    await pause(5);
  }
}

/**
 * The running daemons of lab `lab` (of one host when `host` is given), in host order.
 * A pid file whose process is gone is not listed (the host was stopped, or it exited).
 */
export async function labDaemons(lab: string, host?: string): Promise<LabDaemon[]> {
  const { dir, state } = await requireState(lab);
  const paths = labPaths(dir);
  const hosts = host === undefined ? state.hosts : [requireHost(state, host)];
  const found = await Promise.all(hosts.map(async (candidate) => {
    const names = await daemonNames(paths.hosts, candidate.name);
    if (names.length === 0) return [];
    const init = (await hostProcess(paths, candidate.name))?.init;
    const daemons: LabDaemon[] = [];
    for (const name of names) {
      const pid = await livePid(paths.hosts, candidate.name, name, init);
      if (pid !== undefined) daemons.push({ host: candidate.name, name, pid, log: daemonPaths(paths.hosts, candidate.name, name).log });
    }
    return daemons;
  }));
  return found.flat();
}

async function daemonNames(hostsDir: string, host: string): Promise<string[]> {
  const entries = await readdir(join(hostsDir, host)).catch(() => [] as string[]);
  return entries.map((entry) => /^([a-z][a-z0-9-]*)\.pid$/.exec(entry)?.[1]).filter((name): name is string => name !== undefined).sort();
}

/**
 * Stops daemon `name` of a host: SIGTERM, then SIGKILL after `graceMs` (default 3 s).
 * Resolves true once it is gone, false when it was not running. Its log stays.
 */
export async function labStopDaemon(lab: string, host: string, name: string, options: { graceMs?: number; signal?: NodeJS.Signals } = {}): Promise<boolean> {
  const { dir, state } = await requireState(lab);
  const found = requireHost(state, host);
  const paths = labPaths(dir);
  const init = (await hostProcess(paths, found.name))?.init;
  const pid = await livePid(paths.hosts, found.name, name, init);
  await rm(daemonPaths(paths.hosts, found.name, name).pid, { force: true }).catch(() => undefined);
  if (pid === undefined) return false;
  const kill = (signal: NodeJS.Signals): void => {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  kill(options.signal ?? 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 3_000);
  while (await isAlive(pid)) {
    if (Date.now() > deadline) {
      kill('SIGKILL');
      if (Date.now() > deadline + 5_000) throw new EnvironmentError(`Daemon ${name} of lab host ${found.name} (pid ${pid}) did not end`);
    }
    await pause(10);
  }
  return true;
}
