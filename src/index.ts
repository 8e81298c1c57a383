/**
 * muster's library API. Every public export is listed here by name (no `export *`),
 * so the surface is explicit and reviewed.
 */
export { runOn, defaultForks } from './run/engine.js';
export type { Job, JobResult, RunOptions, RunResult } from './run/engine.js';
export type { RunEvent } from './run/events.js';
export { batchSizes } from './run/batches.js';
export { failureThreshold } from './run/maxFail.js';
export { failureStatuses } from './run/outcome.js';
export type { Outcome, Status } from './run/outcome.js';
