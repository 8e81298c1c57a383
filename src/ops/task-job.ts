/**
 * The per-host job of push and apply: a task's steps run in order over one
 * session, all-or-nothing per host. Pushes keep the previous version; a failing
 * `test` or `run` puts every push of this host back; `then` steps (reload and
 * friends) run only where something changed, after every test has passed.
 * `--check` inspects and diffs, and changes nothing.
 */
import { performance } from 'node:perf_hooks';
import type { DeployData } from '../core/deploy.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { Selector } from '../render/context.js';
import { defaultAbortGraceMs, type Job, type JobResult } from '../run/engine.js';
import type { ExecResult } from '../transport/types.js';
import { shellJoin } from '../core/shell.js';
import { prepareSource, type PreparedSource } from './push-source.js';
import { compareFirstBytes, installPush, pushHandle, settlePush, thenMarker, type PushHandle } from './push-remote.js';
import { backupSuffix, directoryWhat, inspect, isUnchanged, type PushTarget } from './push.js';
import { checkPushDest, checkTreeDest, destFor, intoDirectory } from './push-dest.js';
import { checkDiff } from './task-check.js';
import { notActive, undoneData, type Undone } from './task-undo.js';
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
    checkPushDest(step.dest);
    const source = await prepareSource(step.src, { ...options, ...(step.recursive ? { recursive: true } : {}), ...(step.template ? { template: true } : {}) });
    if (source.kind === 'dir') checkTreeDest(step.dest, step.src);
    sources.push(source);
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

/**
 * How long settling (commit, undo, clean up) may take once the job's signal has
 * aborted: the engine abandons a job 10 s (`abortGraceMs`) after its abort, and
 * stopping the exec that was running takes part of that.
 */
const stoppedSettleMs = defaultAbortGraceMs - 1000;
/** A settle in the normal course: a short script, bounded all the same, never cut by Ctrl-C. */
const settleMs = 15_000;

/** Caps what one command contributes to a host's output. */
const outputCap = 256 * 1024;

/** One push of this host's job, from just before its install until it is settled. */
interface Pushed {
  handle: PushHandle;
  /** `sent`: the install ran or was stopped, answer unknown; `held`: in place, lock held; `done`: committed. */
  phase: 'sent' | 'held' | 'done';
}

/**
 * The job that runs a prepared task on one host. Outcomes: `ok` (nothing to do),
 * `changed` (something pushed; with `check`, would be), `failed` (with the failing
 * command's output, and `deployData` saying what was put back). A push holds its
 * DEST's lock on the host from the install until it is committed or put back.
 * Stopped (timeout, Ctrl-C) half-way, the job settles every push with a deadline of
 * its own: the host ends with the old files (and says so) or, when the new ones
 * were already final, `changed`.
 */
export function taskJob(prepared: PreparedTask, options: TaskJobOptions = {}): Job<DeployData> {
  const diffs = new Map<string, Promise<string>>();
  const suffix = backupSuffix(options.startedAt ?? new Date());
  const sudo = options.sudo ?? prepared.task.sudo ?? false;
  const steps = prepared.task.steps;
  const thens = steps.flatMap((step) => (step.kind === 'then' ? [step.command] : []));
  const lastThen = steps.map((step) => step.kind).lastIndexOf('then');
  const pushCount = steps.filter((step) => step.kind === 'push').length;

  return async (session, { target, signal, output }) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const changedDests: string[] = [];
    // Trees changed by this push: no pending --then is recorded for them (the next push of an unchanged tree is not an install).
    const trees = new Set<string>();
    /** Unchanged DESTs whose earlier `--then` never succeeded. */
    const pendingDests: string[] = [];
    const pushes: Pushed[] = [];
    /** Push steps whose file DEST is a directory on this host: where the file goes instead. */
    const into = new Map<number, string>();
    let exitCode: number | null = 0;
    let truncated = false;
    let stoppedAt: number | undefined;
    let thenDone = false;
    const onStop = (): void => { stoppedAt ??= performance.now(); };
    signal.addEventListener('abort', onStop, { once: true });
    const settleBudget = (): number => (stoppedAt === undefined ? settleMs : stoppedSettleMs - (performance.now() - stoppedAt));

    const record = (result: ExecResult) => {
      exitCode = result.exitCode;
      stdout.push(cap(result.stdout));
      stderr.push(cap(result.stderr));
      truncated ||= result.stdoutTruncated || result.stderrTruncated || result.stdout.length > outputCap || result.stderr.length > outputCap;
    };
    const finish = (status: JobResult['status'], message: string | undefined, data?: DeployData): JobResult<DeployData> => {
      const result: JobResult<DeployData> = { status, exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
      if (message !== undefined) result.message = message;
      if (data) result.data = data;
      if (truncated) result.truncated = 'output capped';
      return result;
    };
    /** Puts back every push not yet committed; `auto` for an install whose answer never came. */
    const undo = async (): Promise<Undone> => {
      const undone: Undone = { rollback: undefined, kept: [], unknown: [], final: [] };
      for (const entry of [...pushes].reverse()) {
        if (entry.phase === 'done') {
          undone.final.push(entry.handle.dest);
          continue;
        }
        const settled = await settlePush(session, entry.handle, entry.phase === 'sent' && !entry.handle.hold ? 'auto' : 'undo', settleBudget());
        if (settled.landed === 'new') undone.final.push(entry.handle.dest);
        else if (settled.landed === 'unknown') undone.unknown.push(`${entry.handle.dest} (${settled.why})`);
        else if (settled.undone) undone.rollback = 'done';
        else undone.kept.push(entry.handle.dest);
      }
      if (undone.unknown.length > 0) undone.rollback = 'failed';
      pushes.length = 0;
      return undone;
    };
    /** Fails the job once every push is put back; `untouched`: a DEST whose install undid itself. */
    const fail = async (message: string, untouched?: string): Promise<JobResult<DeployData>> => {
      const undone = await undo();
      if (untouched !== undefined) undone.kept.unshift(untouched);
      return finish('failed', message, undoneData(undone));
    };
    const commitAll = async (): Promise<string | undefined> => {
      const problems: string[] = [];
      for (const entry of pushes) {
        if (entry.phase !== 'held') continue;
        const settled = await settlePush(session, entry.handle, 'commit', settleBudget());
        entry.phase = 'done';
        if (settled.landed === 'unknown') problems.push(`could not commit ${entry.handle.dest}: ${settled.why}`);
        else if (settled.landed === 'new' && !settled.clean) problems.push(`could not remove the previous version kept for ${entry.handle.dest}`);
      }
      return problems.length > 0 ? problems.join('; ') : undefined;
    };

    try {
      for (let index = 0; index < steps.length; index += 1) {
        const step = steps[index] as TaskStep;
        if (step.kind === 'push') {
          const source = prepared.sources[index];
          if (!source) throw new Error(`step ${index + 1} was not prepared`);
          const content = source.contentFor(target.name);
          const dest = into.get(index) ?? destFor(step.dest, step.src);
          /** A file's DEST that is a directory here: true when the step is to be taken again, into it (as cp does), once. */
          const intoIt = (what: string): boolean => {
            if (content.kind !== 'file' || what !== directoryWhat || into.has(index)) return false;
            into.set(index, intoDirectory(dest, step.src));
            return true;
          };
          const where: PushTarget = { dest, sudo, ...(step.mode !== undefined ? { mode: step.mode } : {}), ...(step.owner !== undefined ? { owner: step.owner } : {}) };
          // A file is compared inside the locked install; a tree (and --check) is inspected first.
          if (options.check || content.kind === 'dir') {
            const state = await inspect(session, where, content.kind, signal);
            if ('message' in state) {
              if (state.result) record(state.result);
              return await fail(state.message);
            }
            if (state.kind === 'other') {
              if (intoIt(state.what)) {
                index -= 1;
                continue;
              }
              return await fail(`${dest} is ${state.what}`);
            }
            if (isUnchanged(state, content, where)) continue;
            if (options.check) {
              changedDests.push(dest);
              stdout.push(await checkDiff(diffs, index, session, where, state, content, signal));
              continue;
            }
          }
          // Held past the install when something after it may still put it back.
          const hold = pushCount > 1 || steps.slice(index + 1).some((later) => later.kind === 'test' || later.kind === 'run');
          const handle = pushHandle(content.kind, content, where, { hold, keep: step.backup ? `${dest}.muster-${suffix}` : '', then: content.kind === 'file' ? thens : [] });
          if (content.kind === 'dir') trees.add(dest);
          const entry: Pushed = { handle, phase: 'sent' };
          pushes.push(entry);
          let answer = content.kind === 'file' && content.data.length > compareFirstBytes
            ? await installPush(session, handle, where, content, signal, { compareOnly: true })
            : undefined;
          if (answer === undefined || (!('message' in answer) && answer.kind === 'differs')) answer = await installPush(session, handle, where, content, signal);
          if ('message' in answer) {
            // A script that exited on its own undid itself (and says so: under a Ctrl-C the engine's
            // "interrupted" replaces its message); one killed by a signal may not have.
            const undidItself = answer.result?.exitCode !== null;
            if (undidItself) pushes.pop();
            if (answer.result) record(answer.result);
            return await fail(answer.message, undidItself ? dest : undefined);
          }
          switch (answer.kind) {
            case 'same':
              pushes.pop();
              if (answer.pendingThen !== undefined) pendingDests.push(dest);
              break;
            case 'other':
              pushes.pop();
              if (intoIt(answer.what)) {
                index -= 1;
                continue;
              }
              return await fail(`${dest} is ${answer.what}`);
            case 'changed':
              entry.phase = 'done';
              changedDests.push(dest);
              if (!answer.clean) return finish('failed', `could not remove the previous version kept for ${dest}`);
              break;
            case 'installed':
              entry.phase = 'held';
              changedDests.push(dest);
              break;
            case 'differs':
              throw new Error(`${dest}: the install answered a compare`);
          }
          continue;
        }
        if (options.check) continue;
        // Tests and handlers concern a change: where nothing changed there is nothing to test or reload
        // (but a --then an earlier push left pending runs again).
        if (step.kind === 'test' && changedDests.length === 0) continue;
        if (step.kind === 'then' && changedDests.length === 0 && pendingDests.length === 0) continue;
        if (step.kind === 'then') {
          const problem = await commitAll();
          if (problem) return finish('failed', problem);
        }
        // Only the commands' output streams (`--stream`); the install and settle scripts are ours.
        const line = index === lastThen ? clearingPending(step.command, [...changedDests, ...pendingDests]) : step.command;
        const result = await session.exec(line, { signal, sudo, onStdout: output.stdout, onStderr: output.stderr });
        record(result);
        if (result.exitCode === 0 && index === lastThen) thenDone = true;
        if (result.exitCode !== 0) {
          const why = `${step.kind} failed (${describeExit(result)}): ${step.command}`;
          if (step.kind === 'then') return finish('failed', `${why}; ${notActive([...changedDests, ...pendingDests], trees)}`);
          if (step.kind === 'test') {
            // The test's own output says why: once the previous files are back, that they
            // are back is all the outcome needs to say (no message, the rollback data).
            const undone = await undo();
            return finish('failed', undone.rollback === 'done' && undone.unknown.length === 0 ? undefined : why, undoneData(undone));
          }
          return await fail(why);
        }
      }
      const problem = await commitAll();
      if (problem) return finish('failed', problem);
      if (changedDests.length > 0) return finish('changed', `${options.check ? 'would change' : 'changed'} ${changedDests.join(', ')}`);
      if (pendingDests.length === 0) return finish('ok', 'unchanged');
      if (thens.length > 0) return finish('changed', `unchanged; ran the --then an earlier push left pending for ${pendingDests.join(', ')}`);
      return finish('ok', `unchanged; ${notActive(pendingDests, trees)}`);
    } catch (error) {
      // Stopped half-way (timeout, Ctrl-C) or the connection failed: the command that was
      // running did not finish, so it has no exit code; every push is settled.
      exitCode = null;
      const undone = await undo();
      // New files in place whose --then did not all run: in place, not active (their marker says so too).
      const hadThen = undone.final.length > 0 && thens.length > 0 && !thenDone;
      const somethingSettled = undone.rollback !== undefined || undone.kept.length > 0 || undone.final.length > 0;
      if (!signal.aborted && !somethingSettled) throw error;
      const how = signal.aborted ? 'stopped' : (error instanceof Error ? error.message : String(error));
      if (undone.final.length > 0 && undone.unknown.length === 0 && undone.kept.length === 0 && undone.rollback === undefined && !hadThen) {
        // The new files were final before the stop: that is what happened on the host.
        return finish('changed', `changed ${undone.final.join(', ')} (final before it was ${how})`);
      }
      const data = undoneData(undone, hadThen ? notActive(undone.final, trees) : undefined);
      return finish('failed', how, data);
    } finally {
      signal.removeEventListener('abort', onStop);
    }
  };
}

/** The last `--then`, removing the pending markers of `dests` when it succeeds. */
function clearingPending(command: string, dests: readonly string[]): string {
  if (dests.length === 0) return command;
  return `(${command}\n) && rm -f -- ${shellJoin(dests.map(thenMarker))}`;
}

function describeExit(result: ExecResult): string {
  return result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.exitCode}`;
}

function cap(data: Buffer): string {
  return (data.length > outputCap ? data.subarray(0, outputCap) : data).toString('utf8');
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
