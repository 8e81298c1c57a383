/**
 * `muster converge`: a host's managed files applied in one step over one
 * connection, with push's rules, by turning them into the task push and apply
 * run (task-job.ts): each file a push step (checksum skip, atomic rename, mode
 * and owner, the lock held until the host is done), its `test` right after it
 * with the new file in place, the `absent: true` removals, then each distinct
 * `then` once, after every file is in place and tested. A failed test puts back
 * every file of THAT host; a lost host settles each file old or new. Only the
 * files the probe found different are installed: each install is two execs and,
 * with several files, a lock holder per file until the host is done.
 */
import type { DeployData } from '../core/deploy.js';
import { shellQuote } from '../core/shell.js';
import type { Job } from '../run/engine.js';
import { compare } from './drift.js';
import { probe, type PathState } from './driftProbe.js';
import type { ManagedFile, ManagedPlan } from './managedSources.js';
import type { PreparedSource } from './push-source.js';
import { taskJob, type PreparedTask } from './task-job.js';
import type { TaskStep } from './task.js';

/** What marks, in a host's output, an `absent: true` path that converge removed. */
export const removedMark = 'muster: removed ';

/** A file's `test` with `{}` as its path (quoted once for the shell). */
export function testCommand(file: ManagedFile): string | undefined {
  return file.spec.test?.split('{}').join(shellQuote(file.path));
}

/** The task a host's managed files become, with its sources already prepared. */
export function convergeTask(files: readonly ManagedFile[]): PreparedTask {
  const steps: TaskStep[] = [];
  const sources: (PreparedSource | undefined)[] = [];
  const removals: TaskStep[] = [];
  const thens: string[] = [];
  // A `then` step follows installed files (the task skips it when none changed): one declared only
  // by removed paths runs as a plain step after the removals instead, so a removal reloads too.
  const removalThens: string[] = [];
  for (const file of files) {
    const then = file.spec.then;
    if (then !== undefined && file.kind !== 'absent' && !thens.includes(then)) thens.push(then);
    if (then !== undefined && file.kind === 'absent' && !removalThens.includes(then)) removalThens.push(then);
    if (file.kind === 'absent') {
      const p = shellQuote(file.path);
      removals.push({ kind: 'run', command: `if [ -e ${p} ] || [ -L ${p} ]; then rm -rf -- ${p} && echo ${shellQuote(`${removedMark}${file.path}`)}; fi` });
      continue;
    }
    const push: TaskStep = { kind: 'push', src: file.src, dest: file.path };
    if (file.spec.mode !== undefined) push.mode = file.spec.mode;
    if (file.spec.owner !== undefined) push.owner = file.spec.owner;
    if (file.spec.template) push.template = true;
    if (file.kind === 'dir') push.recursive = true;
    steps.push(push);
    sources.push(file.source);
    const test = testCommand(file);
    if (test !== undefined) {
      steps.push({ kind: 'test', command: test });
      sources.push(undefined);
    }
  }
  for (const removal of removals) {
    steps.push(removal);
    sources.push(undefined);
  }
  for (const command of removalThens.filter((then) => !thens.includes(then))) {
    steps.push({ kind: 'run', command });
    sources.push(undefined);
  }
  for (const command of thens) {
    steps.push({ kind: 'then', command });
    sources.push(undefined);
  }
  return { task: { target: [], steps }, sources };
}

/**
 * The job of `muster converge`: first the drift probe (one exec: every managed
 * path's checksum, mode and owner), then the task of only the files that differ
 * (hosts of different roles own different files). An in-sync host costs that one
 * exec: nothing is written, no test or then runs. A host whose only change was a
 * removal is `changed`.
 */
export function convergeJob(plan: ManagedPlan, options: { sudo?: boolean; startedAt?: Date } = {}): Job<DeployData> {
  return async (session, context) => {
    const name = context.target.name;
    const files = plan.get(name) ?? [];
    if (files.length === 0) return { status: 'ok', exitCode: 0, stdout: '', stderr: '', message: 'no managed files' };
    const states = await probe(session, files, { signal: context.signal, ...(options.sudo ? { sudo: true } : {}) });
    const off = files.filter((file, index) => compare(file, file.source?.contentFor(name), states[index] as PathState).verdict !== 'in sync');
    if (off.length === 0) return { status: 'ok', exitCode: 0, stdout: '', stderr: '', message: 'unchanged' };
    const result = await taskJob(convergeTask(off), { ...options, check: false })(session, context);
    const removed = result.stdout.split('\n').filter((line) => line.startsWith(removedMark)).map((line) => line.slice(removedMark.length));
    if (removed.length === 0 || result.status !== 'ok') return result;
    return { ...result, status: 'changed', message: `removed ${removed.join(', ')}` };
  };
}
