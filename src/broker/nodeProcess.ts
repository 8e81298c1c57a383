/**
 * One nats-server node as a process muster started: spawned detached with its log as
 * stdout and stderr, its pid in `node-N.pid`. A pid is believed only while
 * `/proc/PID/cmdline` still says `nats-server -c <that node's config>`, so a pid reused by
 * another process is never signalled.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import type { BrokerNode } from './config.js';

/** The pid of the node's nats-server when it runs (and is ours), else undefined. */
export async function runningPid(node: Pick<BrokerNode, 'pidFile' | 'config'>): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(node.pidFile, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return (await isNodeProcess(pid, node.config)) ? pid : undefined;
}

async function isNodeProcess(pid: number, config: string): Promise<boolean> {
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const at = argv.indexOf('-c');
    return /(^|\/)nats-server$/.test(argv[0] ?? '') && at > 0 && argv[at + 1] === config;
  } catch (error) {
    // ENOENT: no such process; ESRCH: it went while we read.
    if (['ENOENT', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/**
 * Sends `signal` to a node's pid; false when it is gone (ESRCH: it exited since we looked, so
 * it is not running). A pid we may not signal (EPERM: another user's process) is a one-line
 * EnvironmentError naming `file` (its pid file or config) to look at.
 */
export function signalNode(pid: number, signal: NodeJS.Signals, file: string): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') throw new EnvironmentError(`Cannot send ${signal} to broker node pid ${pid} (${file}): not permitted; it runs as another user`);
    throw error;
  }
}

/** Whether nats-server PID has written its ports file (`ports_file_dir`): every listener of that process is up. */
async function listening(pid: number, dir: string): Promise<boolean> {
  try {
    await access(join(dir, `nats-server_${pid}.ports`));
    return true;
  } catch {
    return false;
  }
}

async function logTail(path: string, lines = 5): Promise<string> {
  try {
    const text = (await readFile(path, 'utf8')).trimEnd().split('\n');
    return text.slice(-lines).map((line) => `  ${line}`).join('\n');
  } catch {
    return `  (no log at ${path})`;
  }
}

/**
 * Starts the node's nats-server, detached (it outlives muster), and resolves once it has
 * written its ports file (every listener up; a port held by another process does not count).
 * A server that exits first (a port taken, a bad file) is an EnvironmentError with the last
 * lines of its log; so is one not ready in `timeoutMs` (killed first, its pid file removed).
 */
export async function startNode(node: BrokerNode, options: { timeoutMs?: number } = {}): Promise<number> {
  const log = openSync(node.logFile, 'a', 0o600);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let failed: Error | undefined;
  const child = spawn('nats-server', ['-c', node.config], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.once('exit', (code, signal) => { exit = { code, signal }; });
  child.once('error', (error) => { failed = error; });
  child.unref();
  if (child.pid === undefined) {
    await new Promise((settled) => setImmediate(settled));
    throw new EnvironmentError(`Cannot start nats-server: ${failed?.message ?? 'no pid'} (install Debian's nats-server package)`);
  }
  await writeFile(node.pidFile, `${child.pid}\n`, { mode: 0o644 });
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (exit || failed) {
      await rm(node.pidFile, { force: true });
      const how = failed ? failed.message : exit?.signal ? `killed by ${exit.signal}` : `exited with ${exit?.code}`;
      throw new EnvironmentError(`Broker node ${node.index} (${node.url}) ${how}; the end of ${node.logFile}:\n${await logTail(node.logFile)}`);
    }
    if (await listening(child.pid, dirname(node.pidFile))) return child.pid;
    if (Date.now() >= deadline) {
      // Not left running without its pid file's promise kept: killed, reaped, its pid file gone.
      if (!exit) {
        // Unref'd at spawn (it outlives muster): ref'd again so this process waits for the exit.
        child.ref();
        const exited = new Promise((done) => child.once('exit', done));
        if (signalNode(child.pid, 'SIGKILL', node.pidFile)) await exited;
      }
      await rm(node.pidFile, { force: true });
      throw new EnvironmentError(`Broker node ${node.index} (pid ${child.pid}) has not opened its listeners (${node.host}:${node.port}) after ${options.timeoutMs ?? 10_000} ms; the end of ${node.logFile}:\n${await logTail(node.logFile)}`);
    }
    // Another process's file: polling is simpler than a watch that must also see the exit; 50 ms costs microseconds.
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

/** Sends SIGTERM and waits (up to `timeoutMs`, then SIGKILL) until the process is gone; removes the pid file. */
export async function stopNode(node: Pick<BrokerNode, 'pidFile' | 'config'>, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const pid = await runningPid(node);
  if (pid === undefined) {
    await rm(node.pidFile, { force: true });
    return false;
  }
  if (!signalNode(pid, 'SIGTERM', node.pidFile)) {
    await rm(node.pidFile, { force: true });
    return false;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let killed = false;
  while (await isNodeProcess(pid, node.config)) {
    if (!killed && Date.now() > deadline) {
      // A node that ignores SIGTERM this long (a JetStream store stuck on disk) is not coming down by itself.
      signalNode(pid, 'SIGKILL', node.pidFile);
      killed = true;
    }
    // Not our child (it was detached by an earlier muster): there is no exit event to await.
    await new Promise((wait) => setTimeout(wait, 25));
  }
  await rm(node.pidFile, { force: true });
  return true;
}
