/**
 * DIFFALL: is this file the same everywhere? Checksums first on every host (a
 * few bytes back each), hosts grouped by content — a missing file and an
 * unreadable one are groups of their own — then contents fetched from ONE host
 * per group shown, and each group diffed against the reference (the largest
 * group, unless a local file or a host is named).
 */
import { foldNodeset } from '../core/nodeset.js';
import { UsageError } from '../core/errors.js';
import { runOn, type Job, type RunOptions, type RunResult } from '../run/engine.js';
import type { Outcome } from '../run/outcome.js';
import type { Target } from '../transport/types.js';
import { contentDiff } from './diff-unified.js';
import { sha256, shScript } from './push.js';

/** What a host has at PATH. */
export type FileState =
  | { kind: 'content'; sha256: string; size: number }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'other'; what: string };

/** Hosts that have the same thing at PATH. */
export interface DiffGroup {
  state: FileState;
  /** Host names, in input order. */
  hosts: string[];
  /** The group the others are compared with. */
  reference: boolean;
  /** Unified diff from the reference to this group (content groups only; '' for the reference). */
  diff?: string;
}

/** Compare against a local file, or against the group of a named host. */
export type DiffReference = { file: string; content: Buffer } | { host: string };

export interface DiffReport {
  path: string;
  /** Reference first, then the other groups by size, largest first; hosts that could not answer are not in any group. */
  groups: DiffGroup[];
  /** One per target, input order: `ok` same as the reference, `failed` differs / missing / unreadable; or the run's own failures. */
  outcomes: Outcome[];
  /** Every reachable host has the reference content and none failed. */
  identical: boolean;
  /** Where the reference came from, for people: "largest group", "local file x", "host web01". */
  referenceFrom: string;
  run: RunResult;
}

const checksumScript = `p=$1
if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo missing; exit 0; fi
if [ -d "$p" ]; then echo 'other a directory'; exit 0; fi
if [ ! -e "$p" ]; then echo 'other a dangling symlink'; exit 0; fi
if s=$( { sha256sum < "$p"; } 2>&1 ); then printf 'sha256 %s %s\\n' "\${s%% *}" "$(stat -L -c %s -- "$p")"; else printf 'unreadable %s\\n' "$s" | head -n 1; fi`;

/** Parses the one line the checksum script prints. */
export function parseFileState(line: string): FileState | undefined {
  const content = /^sha256 ([0-9a-f]{64}) (\d+)$/.exec(line);
  if (content) return { kind: 'content', sha256: content[1] ?? '', size: Number(content[2]) };
  if (line === 'missing') return { kind: 'missing' };
  if (line.startsWith('unreadable ')) return { kind: 'unreadable', reason: line.slice(11).replace(/^sh: \d+: cannot open [^:]*: /, '') };
  if (line.startsWith('other ')) return { kind: 'other', what: line.slice(6) };
  return undefined;
}

/** The job of the checksum pass: one line, `sha256 HEX SIZE` / `missing` / `unreadable WHY` / `other WHAT`. */
export function checksumJob(path: string, options: { sudo?: boolean } = {}): Job {
  return async (session, _target, signal) => {
    const result = await session.exec(shScript(checksumScript, [path]), { signal, sudo: options.sudo ?? false });
    const line = result.stdout.toString('utf8').trim();
    const state = result.exitCode === 0 ? parseFileState(line) : undefined;
    if (!state) return { status: 'failed', exitCode: result.exitCode, stdout: line, stderr: result.stderr.toString('utf8'), message: `cannot checksum ${path}` };
    return { status: 'ok', exitCode: 0, stdout: line, stderr: '' };
  };
}

/** The job that reads PATH whole (the content pass: one host per group shown). */
export function catJob(path: string, into: Map<string, Buffer>, options: { sudo?: boolean; maxBytes?: number } = {}): Job {
  return async (session, target, signal) => {
    const result = await session.exec(shScript('cat -- "$1"', [path]), { signal, sudo: options.sudo ?? false, maxOutputBytes: options.maxBytes ?? 64 * 1024 * 1024 });
    if (result.exitCode !== 0) return { status: 'failed', exitCode: result.exitCode, stdout: '', stderr: result.stderr.toString('utf8'), message: `cannot read ${path}` };
    if (result.stdoutTruncated) return { status: 'failed', exitCode: 0, stdout: '', stderr: '', message: `${path} is too large to diff here` };
    into.set(target.name, result.stdout);
    return { status: 'ok', exitCode: 0, stdout: '', stderr: '' };
  };
}

function groupKey(state: FileState): string {
  switch (state.kind) {
    case 'content':
      return `content ${state.sha256}`;
    case 'missing':
      return 'missing';
    case 'unreadable':
      return `unreadable ${state.reason}`;
    case 'other':
      return `other ${state.what}`;
  }
}

/**
 * Compares PATH across `targets`: checksum pass, grouping, reference choice,
 * content pass for the groups shown, diffs. `options` are the engine's (forks,
 * timeouts, transport, signal); `sudo` reads through `sudo -n`.
 */
export async function diffFleet(targets: Target[], path: string, options: RunOptions & { against?: DiffReference; sudo?: boolean }): Promise<DiffReport> {
  const sudo = options.sudo ? { sudo: true } : {};
  const run = await runOn(targets, checksumJob(path, sudo), options);
  const byKey = new Map<string, DiffGroup>();
  for (const outcome of run.outcomes) {
    if (outcome.status !== 'ok') continue;
    const state = parseFileState(outcome.stdout);
    if (!state) continue;
    const key = groupKey(state);
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { state, hosts: [], reference: false }));
    group.hosts.push(outcome.host);
  }
  const groups = [...byKey.values()].sort((a, b) => b.hosts.length - a.hosts.length);

  // The reference: a local file, the group of a named host, else the largest group (first seen on a tie).
  let reference: DiffGroup | undefined;
  let referenceFrom = 'largest group';
  let referenceContent: Buffer | null | undefined;
  const against = options.against;
  if (against && 'file' in against) {
    const state: FileState = { kind: 'content', sha256: sha256(against.content), size: against.content.length };
    reference = byKey.get(groupKey(state));
    if (!reference) {
      reference = { state, hosts: [], reference: true };
      groups.unshift(reference);
    }
    referenceFrom = `local file ${against.file}`;
    referenceContent = against.content;
  } else if (against) {
    reference = groups.find((group) => group.hosts.includes(against.host));
    if (!reference) {
      const outcome = run.outcomes.find((candidate) => candidate.host === against.host);
      if (!outcome) throw new UsageError(`--against ${against.host}: that host is not among the hosts compared`);
      throw new UsageError(`--against ${against.host}: ${outcome.message ?? outcome.status} (${outcome.status}); cannot compare against it`);
    }
    referenceFrom = `host ${against.host}`;
  } else {
    reference = groups[0];
  }
  if (reference) {
    reference.reference = true;
    groups.splice(groups.indexOf(reference), 1);
    groups.unshift(reference);
  }

  // Content pass: one host per content group that takes part in a diff.
  const contents = new Map<string, Buffer>();
  const needed = groups.filter((group) => group.state.kind === 'content' && group.hosts.length > 0 && !(group.reference && referenceContent !== undefined));
  const others = groups.filter((group) => !group.reference);
  if (others.length > 0 && needed.length > 0) {
    const representatives = needed.map((group) => targets.find((target) => target.name === group.hosts[0]) as Target);
    // Reading is harmless: no batches, no threshold for this pass.
    const { batch: _batch, maxFail: _maxFail, ...plain } = options;
    const fetched = await runOn(representatives, catJob(path, contents, sudo), plain);
    for (const outcome of fetched.outcomes) {
      if (outcome.status === 'ok') continue;
      const group = needed.find((candidate) => candidate.hosts[0] === outcome.host);
      if (group) group.diff = `(could not fetch ${path} from ${outcome.host}: ${outcome.message ?? outcome.status})\n`;
    }
  }
  if (reference && referenceContent === undefined) {
    referenceContent = reference.state.kind === 'content' ? contents.get(reference.hosts[0] ?? '') ?? null : null;
  }
  const refLabel = reference ? labelOf(reference, referenceFrom, path) : `/dev/null`;
  for (const group of others) {
    if (group.state.kind !== 'content' || group.diff !== undefined) continue;
    const content = contents.get(group.hosts[0] ?? '');
    if (content === undefined) continue;
    group.diff = contentDiff({ content: referenceContent ?? null, label: refLabel }, { content, label: `${foldNodeset(group.hosts)}:${path}` });
  }
  if (reference) reference.diff = '';

  const groupOf = new Map<string, DiffGroup>();
  for (const group of groups) for (const host of group.hosts) groupOf.set(host, group);
  const outcomes = run.outcomes.map((outcome): Outcome => {
    const group = groupOf.get(outcome.host);
    if (outcome.status !== 'ok' || !group) return outcome;
    if (group.reference) return { ...outcome, message: 'same as the reference' };
    return { ...outcome, status: 'failed', exitCode: 1, message: describeState(group.state, true) };
  });
  const identical = outcomes.every((outcome) => outcome.status === 'ok' || outcome.status === 'skipped') && !run.interrupted;
  return { path, groups, outcomes, identical, referenceFrom, run };
}

function labelOf(group: DiffGroup, from: string, path: string): string {
  if (group.hosts.length === 0) return from.replace(/^local file /, '');
  return `${foldNodeset(group.hosts)}:${path}`;
}

/** A group's state in words: "sha256 3f2a…  1234 bytes", "missing", "unreadable: Permission denied". */
export function describeState(state: FileState, differs = false): string {
  switch (state.kind) {
    case 'content':
      return differs ? `differs (sha256 ${state.sha256.slice(0, 12)})` : `sha256 ${state.sha256.slice(0, 12)}  ${state.size} bytes`;
    case 'missing':
      return 'missing';
    case 'unreadable':
      return `unreadable: ${state.reason}`;
    case 'other':
      return `not a file: ${state.what}`;
  }
}
