/**
 * Running a runbook's steps on this machine, one by one: each is confirmed
 * (unless the caller answers for it), run with `bash -e` so a failing command
 * fails the step, its output streamed as it comes, and the first failure stops
 * the run. Everything that ran, and how it ended, goes to the log.
 */
import { spawn } from 'node:child_process';
import type { RunbookStep } from './runbook-steps.js';

/** What the operator said before a step: run it, skip it, or stop here. */
export type StepAnswer = 'run' | 'skip' | 'quit';

/** How one step ended. */
export interface StepRecord {
  step: RunbookStep;
  status: 'ok' | 'failed' | 'skipped';
  /** Exit code; null when killed by a signal or not run. */
  exitCode: number | null;
  signal?: string;
  durationMs: number;
}

/** How the run ended: every step done, a step failed, the operator quit, or interrupted. */
export interface RunbookResult {
  records: StepRecord[];
  end: 'done' | 'failed' | 'quit' | 'interrupted';
}

export interface RunStepsOptions {
  /** Asked before each step; absent means run every step (`--yes`). */
  confirm?: (step: RunbookStep, total: number) => Promise<StepAnswer>;
  /** Each chunk of a step's output as it comes. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Lines for the log of what ran (headers, the code, output, the result). */
  log?: (text: string) => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

function runOne(step: RunbookStep, options: RunStepsOptions): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    // stdin is not the step's: it carries the operator's answers.
    const child = spawn('bash', ['-e', '-c', step.code], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer): void => {
      options.onOutput?.(chunk, stream);
      options.log?.(chunk.toString());
    };
    child.stdout.on('data', forward('stdout'));
    child.stderr.on('data', forward('stderr'));
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal });
    });
  });
}

/**
 * Runs `steps` in order. Stops at the first failing step, when the operator
 * quits, or when `signal` aborts (the running step is sent SIGTERM). Steps not
 * reached get no record.
 */
export async function runSteps(steps: readonly RunbookStep[], options: RunStepsOptions = {}): Promise<RunbookResult> {
  const records: StepRecord[] = [];
  for (const step of steps) {
    if (options.signal?.aborted) return { records, end: 'interrupted' };
    const header = `== step ${step.number}/${steps.length}${step.title ? `: ${step.title}` : ''} (line ${step.line})`;
    const answer = options.confirm ? await options.confirm(step, steps.length) : 'run';
    if (options.signal?.aborted) return { records, end: 'interrupted' };
    if (answer === 'quit') {
      options.log?.(`${header}\n-- quit by the operator before this step\n`);
      return { records, end: 'quit' };
    }
    if (answer === 'skip') {
      records.push({ step, status: 'skipped', exitCode: null, durationMs: 0 });
      options.log?.(`${header}\n-- skipped\n`);
      continue;
    }
    options.log?.(`${header}\n$ ${step.code.trimEnd().split('\n').join('\n$ ')}\n`);
    const started = performance.now();
    const { code, signal } = await runOne(step, options);
    const durationMs = Math.round(performance.now() - started);
    const ok = code === 0;
    records.push({ step, status: ok ? 'ok' : 'failed', exitCode: code, ...(signal ? { signal } : {}), durationMs });
    options.log?.(`-- ${ok ? 'ok' : `failed (${signal ? `killed by ${signal}` : `exit ${code}`})`} in ${(durationMs / 1000).toFixed(1)}s\n`);
    if (options.signal?.aborted) return { records, end: 'interrupted' };
    if (!ok) return { records, end: 'failed' };
  }
  return { records, end: 'done' };
}
