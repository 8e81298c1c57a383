/**
 * muster's library API. Every public export is listed here by name (no `export *`),
 * so the surface is explicit and reviewed.
 */
export { expandNodeset, foldNodeset, countNodeset } from './core/nodeset.js';
export { loadInventory, parseInventory, findInventoryFiles, select, checkSelector, resolveHost } from './inventory/index.js';
export type { Check, FindOptions, Group, Host, Inventory, InventorySource, Provenance, Role, Selection, VarValue } from './inventory/index.js';
export { MusterError, UsageError, InvalidFileError, SelectorError, NotFoundError, EnvironmentError, formatProblem, formatLocation } from './core/errors.js';
export type { Problem, SourceLocation } from './core/errors.js';
export { runOn, defaultForks } from './run/engine.js';
export type { Job, JobResult, RunOptions, RunResult } from './run/engine.js';
export type { RunEvent } from './run/events.js';
export { batchSizes } from './run/batches.js';
export { failureThreshold } from './run/maxFail.js';
export { failureStatuses } from './run/outcome.js';
export type { Outcome, Status } from './run/outcome.js';
export { gather } from './report/gather.js';
export type { Block } from './report/gather.js';
export { formatGathered } from './report/display.js';
export { formatSummary, countStatuses } from './report/summary.js';
export { hostRecord, summaryRecord } from './report/jsonLines.js';
export type { HostRecord, SummaryRecord } from './report/jsonLines.js';
export { pushTask, prepareTask, taskJob } from './ops/task-job.js';
export type { PreparedTask, TaskJobOptions } from './ops/task-job.js';
export { parseTask, loadTask, saveTask, formatTask } from './ops/task.js';
export type { Task, TaskStep } from './ops/task.js';
export { diffFleet, diffGroups, diffJob, DiffContents } from './ops/diff.js';
export type { DiffReport, DiffGroup, DiffReference, FileState } from './ops/diff.js';
export { fetchJob, fetchPlan, safeSegment } from './ops/fetch.js';
export { journal, listHistory, getHistory, historyPath } from './ops/history.js';
export type { JournalEntry, HistoryRun, HistoryDetail, HistoryOptions } from './ops/history.js';
export { labUp, labDown, labStatus, labList, labStopHost, labStartHost, labExec, labInventoryPath, labUnavailableReason } from './lab/index.js';
export type { Lab, LabHost, LabUpOptions, LabStatus, LabHostStatus, LabExecResult } from './lab/index.js';
export { startServer } from './serve/index.js';
export type { MetadataServer, ServeOptions } from './serve/index.js';
export { commandJob } from './ops/run.js';
export type { CommandJobOptions } from './ops/run.js';
export { transportFor, sshTransport, opensshTransport, localTransport, ConnectError } from './transport/index.js';
export type { Target, Session, Transport, ConnectOptions, ExecOptions, ExecResult, ConnectFailure } from './transport/index.js';
