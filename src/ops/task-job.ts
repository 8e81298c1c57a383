/**
 * The per-host job of push and apply: a task's steps run in order over one
 * session, all-or-nothing per host. Pushes keep the previous version; a failing
 * `test` or `run` puts every push of this host back; `then` steps (reload and
 * friends) run only where something changed, after every test has passed.
 * `--check` inspects and diffs, and changes nothing.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployData, type DeployData, type Rollback } from '../core/deploy.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { Selector } from '../render/context.js';
import type { Job, JobResult } from '../run/engine.js';
import type { ExecResult, Session } from '../transport/types.js';
import { contentDiff, unifiedDiffDirs } from './diff-unified.js';
import { prepareSource, type PreparedSource } from './push-source.js';
import { backupSuffix, commit, inspect, install, isUnchanged, normalizeMode, readRemote, rollback, sha256, type Installed, type PushContent, type PushTarget, type RemoteState } from './push.js';
import type { Task, TaskStep } from './task.js';

/** A task with every push source read (and templates rendered) for the hosts it will run on. */
export interface PreparedTask {
  task: Task;
  /** One per step; set for push steps. */
  sources: (PreparedSource | undefined)[];
}

/**
 * Reads every push source of a task, rendering templates for `hosts`. Anything
 * wrong (a missing file, an undefined variable for one host) throws here, before
 * a single host is touched.
 */
export async function prepareTask(task: Task, options: { inventory?: Inventory; hosts?: Host[]; selector?: Selector; signal?: AbortSignal } = {}): Promise<PreparedTask> {
  const sources: (PreparedSource | undefined)[] = [];
  for (const step of task.steps) {
    if (step.kind !== 'push') {
      sources.push(undefined);
      continue;
    }
    sources.push(await prepareSource(step.src, { ...options, ...(step.recursive ? { recursive: true } : {}), ...(step.template ? { template: true } : {}) }));
  }
  return { task, sources };
}

export interface TaskJobOptions {
  /** Dry run: inspect and diff, change nothing, run no command. */
  check?: boolean;
  /** Run every remote command through `sudo -n`. */
  sudo?: boolean;
  /** When the operation started: names `--backup` copies (`DEST.muster-YYYYmmddTHHMMSS`). */
  startedAt?: Date;
}

/** A rollback gets its own deadline: the job's signal may be the very thing that fired (timeout, Ctrl-C). Under the engine's 5 s grace. */
const rollbackTimeoutMs = 4000;

/** Caps what one command contributes to a host's output. */
const outputCap = 256 * 1024;

/**
 * The job that runs a prepared task on one host. Outcomes: `ok` (nothing to do),
 * `changed` (something pushed; with `check`, would be), `failed` (with the failing
 * command's output, and `deployData('done' | 'failed')` as its data when pushes
 * were put back). Messages say what failed; what became of the previous files is the
 * data's, and report/deploy.ts says it in words.
 */
export function taskJob(prepared: PreparedTask, options: TaskJobOptions = {}): Job<DeployData> {
  const diffs = new Map<string, Promise<string>>();
  const suffix = backupSuffix(options.startedAt ?? new Date());
  const sudo = options.sudo ?? prepared.task.sudo ?? false;

  return async (session, { target, signal, output }) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const changedDests: string[] = [];
    const installed: { installed: Installed; backup: boolean }[] = [];
    let committed = false;
    let exitCode: number | null = 0;
    let truncated = false;

    const record = (result: ExecResult) => {
      exitCode = result.exitCode;
      stdout.push(cap(result.stdout));
      stderr.push(cap(result.stderr));
      truncated ||= result.stdoutTruncated || result.stderrTruncated || result.stdout.length > outputCap || result.stderr.length > outputCap;
    };
    const finish = (status: JobResult['status'], message: string | undefined, rolledBack?: Rollback): JobResult<DeployData> => {
      const result: JobResult<DeployData> = { status, exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
      if (message !== undefined) result.message = message;
      if (rolledBack) result.data = deployData(rolledBack);
      if (truncated) result.truncated = 'output capped';
      return result;
    };
    const undo = async (): Promise<Rollback | undefined> => {
      if (installed.length === 0 || committed) return undefined;
      let ok = true;
      for (const entry of [...installed].reverse()) ok = (await rollback(session, entry.installed, AbortSignal.timeout(rollbackTimeoutMs))) && ok;
      installed.length = 0;
      return ok ? 'done' : 'failed';
    };
    const fail = async (message: string): Promise<JobResult<DeployData>> => finish('failed', message, await undo());
    const commitAll = async (): Promise<string | undefined> => {
      if (committed) return undefined;
      committed = true;
      const problems: string[] = [];
      for (const entry of installed) {
        if (!(await commit(session, entry.installed, entry.backup ? suffix : undefined, signal))) problems.push(entry.installed.dest);
      }
      return problems.length > 0 ? `could not remove the previous version kept for ${problems.join(', ')}` : undefined;
    };

    try {
      for (const [index, step] of prepared.task.steps.entries()) {
        if (step.kind === 'push') {
          const source = prepared.sources[index];
          if (!source) throw new Error(`step ${index + 1} was not prepared`);
          const content = source.contentFor(target.name);
          const where: PushTarget = { dest: step.dest, sudo, ...(step.mode !== undefined ? { mode: step.mode } : {}), ...(step.owner !== undefined ? { owner: step.owner } : {}) };
          const state = await inspect(session, where, content.kind, signal);
          if ('message' in state) {
            if (state.result) record(state.result);
            return await fail(state.message);
          }
          if (state.kind === 'other') return await fail(`${step.dest} is ${state.what}`);
          if (isUnchanged(state, content, where)) continue;
          changedDests.push(step.dest);
          if (options.check) {
            stdout.push(await checkDiff(diffs, index, session, where, state, content, signal));
            continue;
          }
          const done = await install(session, where, content, signal);
          if ('message' in done) {
            if (done.result) record(done.result);
            return await fail(done.message);
          }
          installed.push({ installed: done, backup: step.backup ?? false });
          continue;
        }
        if (options.check) continue;
        // Tests and handlers concern a change: where nothing changed there is nothing to test or reload.
        if (step.kind !== 'run' && changedDests.length === 0) continue;
        if (step.kind === 'then') {
          const problem = await commitAll();
          if (problem) return finish('failed', problem);
        }
        // Only the commands' output streams (`--stream`); the inspect/install scripts are ours.
        const result = await session.exec(step.command, { signal, sudo, onStdout: output.stdout, onStderr: output.stderr });
        record(result);
        if (result.exitCode !== 0) {
          const why = `${step.kind} failed (${describeExit(result)}): ${step.command}`;
          if (step.kind === 'then') return finish('failed', why);
          if (step.kind === 'test') {
            // The test's own output says why: once the previous files are back, that they
            // are back is all the outcome needs to say (no message, the rollback data).
            const rolledBack = await undo();
            return finish('failed', rolledBack === 'done' ? undefined : why, rolledBack);
          }
          return await fail(why);
        }
      }
      const problem = await commitAll();
      if (problem) return finish('failed', problem);
      if (changedDests.length === 0) return finish('ok', 'unchanged');
      return finish('changed', `${options.check ? 'would change' : 'changed'} ${changedDests.join(', ')}`);
    } catch (error) {
      // Interrupted or timed out half-way: put back what this host got. The engine names the
      // outcome (timeout, interrupted) and keeps what became of the previous file.
      const rolledBack = await undo().catch((): 'failed' => 'failed');
      if (signal.aborted && rolledBack !== undefined) return finish('failed', 'stopped', rolledBack);
      throw error;
    }
  };
}

function describeExit(result: ExecResult): string {
  return result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.exitCode}`;
}

function cap(data: Buffer): string {
  return (data.length > outputCap ? data.subarray(0, outputCap) : data).toString('utf8');
}

/**
 * The diff a `--check` shows for one host, computed once per distinct
 * (step, current content, new content): 98 hosts that would get the same change
 * cost one fetch and one diff, and show one gathered block.
 */
async function checkDiff(cache: Map<string, Promise<string>>, step: number, session: Session, where: PushTarget, state: RemoteState, content: PushContent, signal: AbortSignal): Promise<string> {
  const key = [step, stateKey(state), content.kind === 'file' ? content.sha256 : sha256(JSON.stringify(content.manifest))].join('\0');
  const cached = cache.get(key);
  if (cached) {
    try {
      return await cached;
    } catch {
      // The host that computed it failed (e.g. timed out); compute it here instead.
      cache.delete(key);
    }
  }
  const promise = computeDiff(session, where, state, content, signal);
  if (!cache.has(key)) cache.set(key, promise);
  return promise;
}

function stateKey(state: RemoteState): string {
  switch (state.kind) {
    case 'missing':
      return 'missing';
    case 'other':
      return `other ${state.what}`;
    case 'file':
      return `${state.sha256} ${state.mode} ${state.owner}`;
    case 'dir':
      return sha256(JSON.stringify(state.manifest));
  }
}

async function computeDiff(session: Session, where: PushTarget, state: RemoteState, content: PushContent, signal: AbortSignal): Promise<string> {
  const label = where.dest.startsWith('/') ? where.dest : `/${where.dest}`;
  const notes: string[] = [];
  if (state.kind === 'file' && content.kind === 'file') {
    if (where.mode !== undefined && state.mode !== normalizeMode(where.mode)) notes.push(`mode ${state.mode} → ${normalizeMode(where.mode)}`);
    if (where.owner !== undefined && state.owner !== where.owner && state.owner.split(':')[0] !== where.owner) notes.push(`owner ${state.owner} → ${where.owner}`);
  }
  let diff: string;
  if (content.kind === 'file') {
    if (state.kind === 'file' && state.sha256 === content.sha256) diff = '';
    else {
      const before = state.kind === 'missing' ? null : await readRemote(session, where, 'file', signal);
      if (before === null && state.kind !== 'missing') return `${where.dest}: cannot read the current file to show a diff\n`;
      diff = contentDiff({ content: before, label: `a${label}` }, { content: content.data, label: `b${label}` });
    }
  } else {
    diff = await dirDiff(session, where, state, content, signal);
    if (diff === '') notes.push(`${where.dest}: modes or owners differ`);
  }
  return `${notes.map((note) => `${where.dest}: ${note}\n`).join('')}${diff}`;
}

async function dirDiff(session: Session, where: PushTarget, state: RemoteState, content: Extract<PushContent, { kind: 'dir' }>, signal: AbortSignal): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'muster-check-'));
  try {
    const name = where.dest.replace(/^\/+/, '').replace(/\/+$/, '') || 'root';
    await mkdir(join(dir, 'a', name), { recursive: true });
    await mkdir(join(dir, 'b', name), { recursive: true });
    if (state.kind === 'dir') {
      const tar = await readRemote(session, where, 'dir', signal);
      if (tar === null) return `${where.dest}: cannot read the current tree to show a diff\n`;
      await untar(tar, join(dir, 'a', name), signal);
    }
    await untar(content.tar, join(dir, 'b', name), signal);
    return await unifiedDiffDirs(dir, 'a', 'b', { signal });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function untar(data: Buffer, into: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // --no-same-owner/--no-same-permissions: a remote tree is data here, never trusted metadata.
    const child = spawn('tar', ['-xf', '-', '--no-same-owner', '--no-same-permissions', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'], signal });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar: ${Buffer.concat(err).toString('utf8').trim()}`))));
    child.stdin.on('error', reject);
    child.stdin.end(data);
  });
}

/** The task `muster push` runs: one push step, then its tests, then its handlers. */
export function pushTask(options: {
  target: string[];
  src: string;
  dest: string;
  mode?: string;
  owner?: string;
  template?: boolean;
  recursive?: boolean;
  backup?: boolean;
  tests?: string[];
  then?: string[];
  batch?: string;
  maxFail?: string;
  sudo?: boolean;
}): Task {
  const push: TaskStep = { kind: 'push', src: options.src, dest: options.dest };
  if (options.mode !== undefined) push.mode = options.mode;
  if (options.owner !== undefined) push.owner = options.owner;
  if (options.template) push.template = true;
  if (options.recursive) push.recursive = true;
  if (options.backup) push.backup = true;
  const task: Task = {
    target: options.target,
    steps: [push, ...(options.tests ?? []).map((command) => ({ kind: 'test' as const, command })), ...(options.then ?? []).map((command) => ({ kind: 'then' as const, command }))],
  };
  if (options.batch !== undefined) task.batch = options.batch;
  if (options.maxFail !== undefined) task.maxFail = options.maxFail;
  if (options.sudo) task.sudo = true;
  return task;
}
