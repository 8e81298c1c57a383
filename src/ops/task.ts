/**
 * Task files: a deploy written down so it can be reviewed, kept in git and
 * replayed (`muster push … --save task.yaml`, `muster apply task.yaml`).
 * Validated like the inventory: every problem at once, each at file:line:col.
 *
 * ```yaml
 * version: 1
 * target: web&dc=tk1        # a selector; a list is a union
 * batch: 1,10%              # optional rolling batches
 * max_fail: 0               # optional failure threshold (N or P%)
 * steps:
 *   - push: nginx.conf      # relative to this file
 *     dest: /etc/nginx/nginx.conf
 *     mode: "0644"
 *   - test: nginx -t        # fails → every push of this host is put back
 *   - then: nginx -s reload # only where something changed, after every test passed
 * ```
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isNode, stringify, type Document } from 'yaml';
import { z } from 'zod';
import { InvalidFileError, type Problem } from '../core/errors.js';
import { readRegularFile } from '../core/readRegularFile.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { describeIssue, taskWording } from '../inventory/issueWording.js';
import { parseYamlSource, pathPosition, syntaxProblems } from '../inventory/sourcePosition.js';

/** One step of a task, as the job runs it. */
export type TaskStep =
  | { kind: 'push'; src: string; dest: string; mode?: string; owner?: string; template?: boolean; recursive?: boolean; backup?: boolean }
  | { kind: 'run' | 'test' | 'then'; command: string };

/** A task: which hosts, how to roll, and the steps each host goes through over one connection. */
export interface Task {
  /** Selectors (a union). */
  target: string[];
  batch?: string;
  maxFail?: string;
  sudo?: boolean;
  steps: TaskStep[];
}

const text = z.string().min(1, 'must not be empty');
const pushStep = z.strictObject({
  push: text.describe('local file or directory, relative to the task file'),
  dest: text.regex(/^\/./, 'must be an absolute remote path, e.g. /etc/app/app.conf'),
  mode: z.union([z.string().regex(/^[0-7]{3,4}$/, 'must be an octal mode such as "0644"'), z.number().int()]).optional(),
  owner: z.string().regex(/^[^:\s]+(:[^:\s]+)?$/, 'must be user or user:group').optional(),
  template: z.boolean().optional(),
  recursive: z.boolean().optional(),
  backup: z.boolean().optional(),
});
const commandStep = (key: 'run' | 'test' | 'then') => z.strictObject({ [key]: text } as Record<typeof key, typeof text>);
const schema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  target: z.union([text, z.array(text).min(1)]),
  batch: z.union([z.string(), z.number()]).optional(),
  max_fail: z.union([z.string(), z.number()]).optional(),
  sudo: z.boolean().optional(),
  steps: z.array(z.unknown()).min(1, 'a task needs at least one step'),
});

/**
 * Parses a task file's text. Relative `push` sources are resolved from the task
 * file's folder. Throws InvalidFileError listing every problem with file:line:col.
 */
export function parseTask(source: string, file: string): Task {
  const yaml = parseYamlSource(file, source, { uniqueKeys: true });
  const problems: Problem[] = syntaxProblems(yaml);
  if (problems.length > 0) throw new InvalidFileError(`task ${file}`, problems);
  const where = (path: readonly PropertyKey[], want: 'key' | 'value') => pathPosition(yaml, path, want);
  /** Adds the problems of `issue`, found on `input` at `prefix` of the file. */
  const report = (issue: z.core.$ZodIssue, input: unknown, prefix: PropertyKey[] = []): void => {
    for (const { message, path, want } of describeIssue(issue, input, taskWording)) problems.push({ message, at: where([...prefix, ...path], want) });
  };

  const raw: unknown = yaml.doc.toJS();
  const top = schema.safeParse(raw);
  if (!top.success) for (const issue of top.error.issues) report(issue, raw);
  // Steps are checked even when the top level is not, so one pass reports everything.
  const rawSteps = typeof raw === 'object' && raw !== null && Array.isArray((raw as { steps?: unknown }).steps) ? (raw as { steps: unknown[] }).steps : [];
  const base = dirname(resolve(file));
  const steps: TaskStep[] = [];
  rawSteps.forEach((step, index) => {
    const parsed = parseStep(step, () => scalarSource(yaml.doc, source, ['steps', index, 'mode']));
    if ('issues' in parsed) {
      for (const issue of parsed.issues) report(issue, step, ['steps', index]);
      return;
    }
    if (parsed.kind === 'push') parsed.src = resolve(base, parsed.src);
    steps.push(parsed);
  });
  if (!top.success) throw new InvalidFileError(`task ${file}`, problems);
  // `then` steps are handlers: they come after every push, run and test.
  const firstThen = steps.findIndex((step) => step.kind === 'then');
  if (firstThen >= 0 && problems.length === 0) {
    steps.forEach((step, index) => {
      if (index > firstThen && step.kind !== 'then') problems.push({ message: `a ${step.kind} step cannot follow a then step: then steps run last, once everything is pushed and tested`, at: where(['steps', index], 'value') });
    });
  }
  if (!steps.some((step) => step.kind === 'push' || step.kind === 'run') && problems.length === 0) {
    problems.push({ message: 'a task needs at least one push or run step', at: where(['steps'], 'value') });
  }
  if (problems.length > 0) throw new InvalidFileError(`task ${file}`, problems);
  const task: Task = { target: typeof top.data.target === 'string' ? [top.data.target] : top.data.target, steps };
  if (top.data.batch !== undefined) task.batch = String(top.data.batch);
  if (top.data.max_fail !== undefined) task.maxFail = String(top.data.max_fail);
  if (top.data.sudo !== undefined) task.sudo = top.data.sudo;
  return task;
}

/** A step's own problem, in the shape of the validator's. */
function stepIssue(path: PropertyKey[], message: string): { issues: z.core.$ZodIssue[] } {
  return { issues: [{ code: 'custom', path, message }] };
}

/**
 * `modeSource` gives the mode as written: YAML 1.2 reads an unquoted `0644` as the
 * decimal number 644, so the number alone cannot say which mode was meant.
 */
function parseStep(step: unknown, modeSource: () => string): TaskStep | { issues: z.core.$ZodIssue[] } {
  if (typeof step !== 'object' || step === null || Array.isArray(step)) return stepIssue([], 'a step is a map with one of push, run, test, then');
  const kinds = (['push', 'run', 'test', 'then'] as const).filter((key) => key in step);
  if (kinds.length !== 1) {
    return stepIssue([], kinds.length === 0 ? 'a step needs one of push, run, test, then' : `a step has one of push, run, test, then, not ${kinds.join(' and ')}`);
  }
  const kind = kinds[0] as 'push' | 'run' | 'test' | 'then';
  if (kind !== 'push') {
    const result = commandStep(kind).safeParse(step);
    if (!result.success) return { issues: result.error.issues };
    return { kind, command: (result.data as Record<string, string>)[kind] ?? '' };
  }
  const result = pushStep.safeParse(step);
  if (!result.success) return { issues: result.error.issues };
  const data = result.data;
  const push: TaskStep = { kind: 'push', src: data.push, dest: data.dest };
  if (typeof data.mode === 'string') push.mode = data.mode;
  else if (data.mode !== undefined) {
    const written = modeSource();
    const octal = /^0o([0-7]{3,4})$/.exec(written)?.[1] ?? (/^[0-7]{3,4}$/.test(written) ? written : undefined);
    if (octal === undefined) return stepIssue(['mode'], 'must be an octal mode such as "0644"');
    push.mode = octal.padStart(4, '0');
  }
  if (data.owner !== undefined) push.owner = data.owner;
  if (data.template !== undefined) push.template = data.template;
  if (data.recursive !== undefined) push.recursive = data.recursive;
  if (data.backup !== undefined) push.backup = data.backup;
  return push;
}

/** The text of the scalar at `path` as written in the file ('' when there is none). */
function scalarSource(doc: Document, source: string, path: readonly PropertyKey[]): string {
  const node: unknown = doc.getIn(path as unknown[], true);
  const range = isNode(node) ? node.range : undefined;
  return range ? source.slice(range[0], range[1]).trim() : '';
}

/** The most bytes a task file may have (a task is a few steps; this only keeps a wrong path from filling memory). */
export const maxTaskBytes = 1024 * 1024;

/** Reads and parses a task file: a regular file of UTF-8 text (see core/readRegularFile.ts), else an `InvalidFileError`. */
export async function loadTask(file: string): Promise<Task> {
  return parseTask(await readRegularFile(file, { what: `task ${file}`, maxBytes: maxTaskBytes }), file);
}

/** The YAML text of a task, `push` sources written relative to the task file's folder. */
export function formatTask(task: Task, file: string): string {
  const base = dirname(resolve(file));
  const steps = task.steps.map((step) => {
    if (step.kind !== 'push') return { [step.kind]: step.command };
    const src = isAbsolute(step.src) ? relative(base, step.src) || '.' : step.src;
    const out: Record<string, unknown> = { push: src, dest: step.dest };
    if (step.mode !== undefined) out['mode'] = step.mode;
    if (step.owner !== undefined) out['owner'] = step.owner;
    if (step.template) out['template'] = true;
    if (step.recursive) out['recursive'] = true;
    if (step.backup) out['backup'] = true;
    return out;
  });
  const doc: Record<string, unknown> = { version: 1, target: task.target.length === 1 ? task.target[0] : task.target };
  if (task.batch !== undefined) doc['batch'] = task.batch;
  if (task.maxFail !== undefined) doc['max_fail'] = task.maxFail;
  if (task.sudo) doc['sudo'] = true;
  doc['steps'] = steps;
  return `# muster task: replay with \`muster apply ${file}\` (add --check for a dry run)\n${stringify(doc)}`;
}

/** Writes a task file (see `formatTask`), atomically: an `apply` reading it meanwhile never sees half a task. */
export async function saveTask(task: Task, file: string): Promise<void> {
  await writeFileAtomic(file, formatTask(task, file), { createMode: 0o644, followSymlinks: false });
}
