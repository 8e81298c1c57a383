/**
 * The fan-out engine: runs one job on many hosts through a transport, with a
 * bounded pool (`forks`), rolling batches, a failure threshold, a per-host
 * timeout and cancellation. It never prints; it reports through events and
 * returns exactly one outcome per target, in input order.
 *
 * Semantics (docs/run.md says the same to users):
 * - Batches run one after another; a batch starts only when the previous one has
 *   finished. Inside a batch at most `forks` hosts run at once. Without `batch`
 *   all hosts form one batch. `batchWaitMs` settles between batches (Salt's
 *   `--batch-wait`): the next batch starts that long after the previous one ended.
 * - Failures are outcomes whose status is in `failureStatuses` (failed,
 *   unreachable, timeout). Once failures EXCEED the threshold (see
 *   `failureThreshold`), no further host starts, in this batch or any later one;
 *   hosts already running finish normally; every host not started is `skipped`
 *   with "not started: failure threshold exceeded (3 > 2)"; `aborted` is true.
 * - `timeoutMs` bounds the job after the connection is open; when it fires the
 *   job's signal is aborted (the transport kills the remote command) and the host
 *   is `timeout`. Connecting is bounded by the transport's own connect timeout
 *   instead (given to the transport when it is made, e.g. `transportFor`).
 *   A host that is there but silent (`NoAnswerError`, thrown by `connect` or by the
 *   job: an agent that does not answer) is `timeout` with that error's message.
 * - Aborting `signal` (Ctrl-C) interrupts: no further host starts (`skipped`,
 *   "not started: interrupted"); running hosts have their job's signal aborted
 *   and end `failed` with the message "interrupted" (keeping any output and
 *   `data` they returned; a host still connecting says "interrupted while
 *   connecting: nothing ran"), unless the job returns `changed`: its change was final
 *   before the stop, and the host says so (the same for a timeout); `interrupted` is true.
 * - Output a job hands to its `output` sink becomes `output` events for its host,
 *   emitted between the host's `host-connected` and its `host-done`; a chunk that
 *   arrives later (from a job abandoned after its grace period) is dropped.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { formatDuration } from '../core/duration.js';
import { messageNaming } from '../core/errors.js';
import { checkLimit, pooledAll } from '../core/pool.js';
import { onAbort } from '../core/onAbort.js';
import { ConnectError, NoAnswerError, type Session, type Target, type Transport } from '../transport/types.js';
import { failureStatuses, type Outcome } from './outcome.js';
import { batchSizes } from './batches.js';
import { failureThreshold } from './maxFail.js';
import type { RunEvent } from './events.js';

/** What a job returns for one host; the engine adds `host` and `durationMs`. */
export type JobResult<T = unknown> = Omit<Outcome<T>, 'host' | 'durationMs'>;

/**
 * Where a job sends output as it comes (give `stdout`/`stderr` to `session.exec`
 * as its `onStdout`/`onStderr`). The engine knows which host runs, so a job never
 * names it: each chunk becomes an `output` event for this host.
 */
export interface OutputSink {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

/** What the engine gives a job besides its session. */
export interface JobContext {
  target: Target;
  /** Aborted on timeout and on interruption; pass it to every `session.exec`. */
  signal: AbortSignal;
  output: OutputSink;
}

/**
 * The work done on one host once connected. It must honour `context.signal`
 * (pass it to `session.exec`): it is aborted on timeout and on interruption. A
 * throw becomes a `failed` outcome (`unreachable` for a `ConnectError`, `timeout` for a
 * `NoAnswerError`: a host there but silent), never a
 * rejected run. `T` is the type of the outcome's `data` (diff's file state, …).
 */
export type Job<T = unknown> = (session: Session, context: JobContext) => Promise<JobResult<T>>;

export interface RunOptions {
  transport: Transport;
  /** Hosts running at once; default 64. */
  forks?: number;
  /** Rolling batches, e.g. `1,5,25%` or `[1, 5, 20]`; see `batchSizes`. Default: one batch. */
  batch?: string | number[];
  /** Between batches, wait this long after one ends before the next starts (let a reloaded service settle). Default 0. */
  batchWaitMs?: number;
  /** Failure threshold, `N` or `P%` of the targets; see `failureThreshold`. Default: none. */
  maxFail?: string | number;
  /** Per host, for the job after connecting. (Connecting is bounded by the transport's own options.) */
  timeoutMs?: number;
  /** Aborting it interrupts the run (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Called synchronously as things happen; must not throw. One that does fails the
   * run: no further host starts, and `runOn` rejects with its error once the
   * running hosts are done.
   */
  onEvent?: (event: RunEvent) => void;
  /**
   * How long to wait, after aborting a job's signal, for the job to settle before
   * giving up on it (the session is then closed). Default 10000 ms: stopping the
   * remote command may itself take up to 5 s (the transport's wait for its process
   * group, then TERM and KILL), and a deploy then needs an exec to put its files back.
   */
  abortGraceMs?: number;
  /**
   * How messages name library options (`acceptNew` in a host-key refusal): the CLI passes its
   * flags (`--accept-new`). Default: the options' own names.
   */
  nameOption?: (option: string) => string;
}

export interface RunResult<T = unknown> {
  /** Exactly one per target, in input order. */
  outcomes: Outcome<T>[];
  /** The failure threshold was exceeded and some hosts were not started. */
  aborted: boolean;
  /** The run's signal was aborted (Ctrl-C). */
  interrupted: boolean;
  /** Why hosts stopped being started: "failure threshold exceeded (3 > 2)" or "interrupted". */
  stopMessage?: string;
  durationMs: number;
}

/** The default number of hosts running at once (`--forks`). */
export const defaultForks = 64;

/**
 * Runs `job` on every target and returns one outcome per target, in input order.
 * See the file comment for the exact batch, threshold, timeout and interruption
 * semantics. Throws `OptionError` only for invalid options (forks, batch, maxFail).
 */
export async function runOn<T = unknown>(targets: Target[], job: Job<T>, options: RunOptions): Promise<RunResult<T>> {
  const startedAt = performance.now();
  const forks = options.forks ?? defaultForks;
  checkLimit(forks, 'forks');
  const sizes = batchSizes(options.batch, targets.length);
  const threshold = failureThreshold(options.maxFail, targets.length);
  const emit = options.onEvent ?? (() => undefined);
  const signal = options.signal;

  const outcomes: (Outcome<T> | undefined)[] = new Array<Outcome<T> | undefined>(targets.length).fill(undefined);
  let failures = 0;
  let done = 0;
  let stopMessage: string | undefined;
  let aborted = false;
  let interrupted = false;

  // Every running host listens to the run's signal (connect, and its job's signal):
  // one internal signal follows the caller's, so the caller's gets one listener and
  // ours may have as many as there are forks without Node's leak warning.
  const internal = new AbortController();
  setMaxListeners(0, internal.signal);
  // Stops the pool from starting hosts (threshold or interruption); running hosts are
  // stopped only by `internal`, so past the threshold they finish normally.
  const starting = new AbortController();
  const stopStarting = (message: string): void => {
    stopMessage = message;
    starting.abort();
  };
  const onInterrupt = (): void => {
    interrupted = true;
    if (stopMessage === undefined) {
      stopStarting('interrupted');
      emit({ type: 'aborted', reason: 'interrupted', message: 'interrupted' });
    }
    internal.abort(signal?.reason);
  };
  if (signal?.aborted) onInterrupt();
  else signal?.addEventListener('abort', onInterrupt, { once: true });
  const hostOptions: RunOptions = { ...options, signal: internal.signal };

  const hostDone = (index: number, outcome: Outcome<T>): void => {
    outcomes[index] = outcome;
    done += 1;
    if (failureStatuses.has(outcome.status)) failures += 1;
    emit({ type: 'host-done', index, outcome, done, total: targets.length });
    if (failures > threshold && stopMessage === undefined) {
      aborted = true;
      const message = `failure threshold exceeded (${failures} > ${threshold})`;
      stopStarting(message);
      emit({ type: 'aborted', reason: 'threshold', message });
    }
  };

  try {
    let offset = 0;
    for (const [batchIndex, size] of sizes.entries()) {
      if (starting.signal.aborted) break;
      if (batchIndex > 0 && options.batchWaitMs) await settle(options.batchWaitMs, starting.signal);
      if (starting.signal.aborted) break;
      const indices = Array.from({ length: size }, (_, i) => offset + i);
      offset += size;
      emit({ type: 'batch-started', batch: batchIndex + 1, of: sizes.length, hosts: indices.map((i) => (targets[i] as Target).name) });
      // runHost never throws: only a throwing `onEvent` (which must not) fails here. It fails
      // the run: no further host starts, and its error is thrown once the running ones are done.
      await pooledAll(indices, async (index) => {
        const target = targets[index] as Target;
        hostDone(index, await runHost(target, index, job, hostOptions, emit));
      }, { limit: forks, signal: starting.signal });
    }
  } finally {
    signal?.removeEventListener('abort', onInterrupt);
  }

  const skipped = `not started: ${stopMessage ?? 'run ended'}`;
  return {
    outcomes: outcomes.map((outcome, index) => outcome ?? {
      host: (targets[index] as Target).name,
      status: 'skipped',
      exitCode: null,
      stdout: '',
      stderr: '',
      durationMs: 0,
      message: skipped,
    }),
    aborted,
    interrupted,
    ...(stopMessage !== undefined ? { stopMessage } : {}),
    durationMs: performance.now() - startedAt,
  };
}

/** Waits `ms`, or less when `signal` is aborted (a threshold crossed or Ctrl-C while waiting). */
function settle(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish, { once: true });
    function finish(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
  });
}

/** How long a job has to settle once its signal is aborted, unless `abortGraceMs` says otherwise (a stopped push settles within it). */
export const defaultAbortGraceMs = 10_000;

/** Connects, runs the job under its timeout, closes: always resolves to an outcome. */
async function runHost<T>(target: Target, index: number, job: Job<T>, options: RunOptions, emit: (event: RunEvent) => void): Promise<Outcome<T>> {
  const startedAt = performance.now();
  const runSignal = options.signal;
  const finish = (result: JobResult<T>): Outcome<T> => ({ host: target.name, ...result, durationMs: performance.now() - startedAt });
  // A failure the engine names (unreachable, timed out, interrupted, a throw), keeping
  // whatever the job returned before it was stopped, if it returned at all.
  const failed = (status: 'failed' | 'unreachable' | 'timeout', message: string, partial?: JobResult<T>): Outcome<T> => finish({
    // Everything the job returned: its output (and the exact bytes of output that is not
    // UTF-8), what was cut, and the data in which a job stopped half-way says what it undid.
    ...partial,
    status,
    exitCode: partial?.exitCode ?? null,
    stdout: partial?.stdout ?? '',
    stderr: partial?.stderr ?? '',
    message,
  });

  emit({ type: 'host-started', host: target.name, index });
  let session: Session;
  try {
    session = await options.transport.connect(target, runSignal ? { signal: runSignal } : {});
  } catch (error) {
    if (runSignal?.aborted) return failed('failed', 'interrupted while connecting: nothing ran');
    if (error instanceof ConnectError) return failed('unreachable', messageNaming(error, options.nameOption));
    if (error instanceof NoAnswerError) return failed('timeout', error.message);
    return failed('failed', errorMessage(error));
  }

  // Aborted by the host's timeout, and by the run's signal (core/onAbort.ts: AbortSignal.any
  // per host was a tenth of a 1,000-host run over agents). Both go through `stopHost`, which
  // also starts the job's grace: no abort listener of the engine's own on the job's signal.
  const hostAbort = new AbortController();
  let graceBegins: (() => void) | undefined;
  const stopHost = (reason: unknown): void => {
    hostAbort.abort(reason);
    graceBegins?.();
  };
  const releaseHost = onAbort(runSignal, () => stopHost(runSignal?.reason));
  if (runSignal?.aborted) hostAbort.abort(runSignal.reason);
  const jobSignal = hostAbort.signal;
  // The transport may listen per exec; a job with many steps must not trip the leak warning.
  setMaxListeners(0, jobSignal);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  // Output of this host until its outcome is known; a chunk after that (a job
  // abandoned past its grace) would come after the host's `host-done`, so it is dropped.
  let open = true;
  const output: OutputSink = {
    stdout: (chunk) => { if (open) emit({ type: 'output', host: target.name, stream: 'stdout', chunk }); },
    stderr: (chunk) => { if (open) emit({ type: 'output', host: target.name, stream: 'stderr', chunk }); },
  };
  try {
    emit({ type: 'host-connected', host: target.name, index });
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        stopHost(new Error(`timed out after ${formatDuration(timeoutMs)}`));
      }, timeoutMs);
    }
    let result: JobResult<T> | undefined;
    let thrown: unknown;
    try {
      const running = withGrace(job(session, { target, signal: jobSignal, output }), options.abortGraceMs ?? defaultAbortGraceMs);
      graceBegins = running.graceBegins;
      if (jobSignal.aborted) running.graceBegins();
      result = await running.settled;
    } catch (error) {
      thrown = error;
    }
    // A job that returns `changed` although stopped made its change final before the stop
    // (a deploy whose new file was in place): that, not the stop, is what the host went through.
    if (result?.status === 'changed') return finish(result);
    if (timedOut && timeoutMs !== undefined) return failed('timeout', `timed out after ${formatDuration(timeoutMs)}`, result);
    if (runSignal?.aborted) return failed('failed', 'interrupted', result);
    if (result !== undefined) return finish(result);
    if (thrown instanceof ConnectError) return failed('unreachable', messageNaming(thrown, options.nameOption));
    if (thrown instanceof NoAnswerError) return failed('timeout', thrown.message);
    return failed('failed', errorMessage(thrown));
  } finally {
    open = false;
    clearTimeout(timer);
    releaseHost();
    session.close();
  }
}

/**
 * Settles like `promise`, except that once `graceBegins` is called (the job's signal was
 * aborted) the job gets `graceMs` to settle; after that it is abandoned (rejects), so a job
 * that ignores its signal cannot hold a slot forever.
 */
function withGrace<T>(promise: Promise<T>, graceMs: number): { settled: Promise<T>; graceBegins(): void } {
  let timer: NodeJS.Timeout | undefined;
  let abandon: ((error: Error) => void) | undefined;
  const settled = new Promise<T>((resolve, reject) => {
    abandon = reject;
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
  return {
    settled,
    graceBegins() {
      timer ??= setTimeout(() => abandon?.(new Error(`job did not stop within ${formatDuration(graceMs)} of being aborted`)), graceMs);
    },
  };
}

/** The message of whatever a job or a connect threw. */
function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
