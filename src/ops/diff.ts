/**
 * DIFFALL: is this file the same everywhere? Checksums first on every host (a
 * few bytes back each), hosts grouped by content — a missing file and an
 * unreadable one are groups of their own — then contents fetched from ONE host
 * per group shown, and each group diffed against the reference (the largest
 * group, unless a local file or a host is named).
 */
import { foldNodeset } from '../core/nodeset.js';
import { OptionError } from '../core/errors.js';
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

/** What a diff of PATH across a fleet found, and the run rewritten to say it per host. */
export interface DiffReport {
  path: string;
  /** Reference first, then the other groups by size, largest first; hosts that could not answer are not in any group. */
  groups: DiffGroup[];
  /** One per target, input order: `ok` same as the reference, `failed` differs / missing / unreadable; or the run's own failures. */
  outcomes: Outcome<FileState>[];
  /** Every reachable host has the reference content and none failed. */
  identical: boolean;
  /** Where the reference came from, for people: "largest group", "local file x", "host web01". */
  referenceFrom: string;
  /** The run with `outcomes` in place of the checksum pass's own: what to present, journal and exit by. */
  run: RunResult<FileState>;
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

/**
 * The job of the checksum pass: the host's FileState as the outcome's `data`. The
 * script's one line (`sha256 HEX SIZE` / `missing` / `unreadable WHY` / `other
 * WHAT`) stays in `stdout` too, as `--json` and the journal have always shown it.
 */
export function checksumJob(path: string, options: { sudo?: boolean } = {}): Job<FileState> {
  return async (session, { signal }) => {
    const result = await session.exec(shScript(checksumScript, [path]), { signal, sudo: options.sudo ?? false });
    const line = result.stdout.toString('utf8').trim();
    const state = result.exitCode === 0 ? parseFileState(line) : undefined;
    if (!state) return { status: 'failed', exitCode: result.exitCode, stdout: line, stderr: result.stderr.toString('utf8'), message: `cannot checksum ${path}` };
    return { status: 'ok', exitCode: 0, stdout: line, stderr: '', data: state };
  };
}

/**
 * Contents fetched during a diff run, one per distinct checksum: the first host
 * to report a checksum reads the file, every other host with the same checksum
 * does not. `null` when it could not be read whole (too large, vanished).
 */
export class DiffContents {
  readonly bySha = new Map<string, Buffer | null>();
  private readonly pending = new Set<string>();

  /** True once for each checksum: the caller is the one to fetch it. */
  claim(sha: string): boolean {
    if (this.pending.has(sha) || this.bySha.has(sha)) return false;
    this.pending.add(sha);
    return true;
  }

  /** Gives a claim back when its host could not fetch, so another host of the group may. */
  release(sha: string): void {
    this.pending.delete(sha);
  }
}

/**
 * The per-host job of `muster diff`: checksums PATH (one short line back), and
 * when this host is the first with that checksum, reads the content too —
 * so each distinct content crosses the network once, whatever the fleet size.
 * `known` are checksums already held locally (the `--against` file).
 */
export function diffJob(path: string, contents: DiffContents, options: { sudo?: boolean; maxBytes?: number; known?: ReadonlySet<string> } = {}): Job<FileState> {
  const checksum = checksumJob(path, options.sudo ? { sudo: true } : {});
  return async (session, context) => {
    const result = await checksum(session, context);
    const { signal } = context;
    const state = result.status === 'ok' ? result.data : undefined;
    if (state?.kind !== 'content' || options.known?.has(state.sha256) || !contents.claim(state.sha256)) return result;
    try {
      const read = await session.exec(shScript('cat -- "$1"', [path]), { signal, sudo: options.sudo ?? false, maxOutputBytes: options.maxBytes ?? 64 * 1024 * 1024 });
      const whole = read.exitCode === 0 && !read.stdoutTruncated && sha256(read.stdout) === state.sha256;
      contents.bySha.set(state.sha256, whole ? read.stdout : null);
    } catch (error) {
      contents.release(state.sha256);
      throw error;
    }
    return result;
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

/** The engine's options, and what to compare against; `sudo` reads through `sudo -n`. */
export type DiffFleetOptions = RunOptions & { against?: DiffReference; sudo?: boolean };

/**
 * Compares PATH across `targets` (the library form of `muster diff`): one run of
 * `diffJob`, then `diffGroups`. `options` are the engine's; `sudo` reads through `sudo -n`.
 */
export async function diffFleet(targets: Target[], path: string, options: DiffFleetOptions): Promise<DiffReport> {
  const contents = new DiffContents();
  const known = options.against && 'file' in options.against ? new Set([sha256(options.against.content)]) : undefined;
  const run = await runOn(targets, diffJob(path, contents, { ...(options.sudo ? { sudo: true } : {}), ...(known ? { known } : {}) }), options);
  return diffGroups(run, path, contents, options.against);
}

/**
 * Groups a diff run's hosts by what they have at PATH, picks the reference (a
 * local file, a named host's group, else the largest group — first seen on a
 * tie), diffs every other content group against it, and rewrites the outcomes:
 * `ok` same as the reference, `failed` differs / missing / unreadable (also when the
 * reference group itself is missing or unreadable: a path missing everywhere fails).
 * Throws OptionError (option `against`) when `against` names a host that did not
 * answer. Hosts are grouped by their outcome's `data` (see `checksumJob`).
 */
export function diffGroups(run: RunResult<FileState>, path: string, contents: DiffContents, against?: DiffReference): DiffReport {
  const byKey = new Map<string, DiffGroup>();
  for (const outcome of run.outcomes) {
    const state = outcome.status === 'ok' ? outcome.data : undefined;
    if (!state) continue;
    const key = groupKey(state);
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { state, hosts: [], reference: false }));
    group.hosts.push(outcome.host);
  }
  const groups = [...byKey.values()].sort((a, b) => b.hosts.length - a.hosts.length);

  let reference: DiffGroup | undefined;
  let referenceFrom = 'largest group';
  let referenceContent: Buffer | null = null;
  if (against && 'file' in against) {
    const state: FileState = { kind: 'content', sha256: sha256(against.content), size: against.content.length };
    reference = byKey.get(groupKey(state));
    if (!reference) groups.unshift((reference = { state, hosts: [], reference: true }));
    referenceFrom = `local file ${against.file}`;
    referenceContent = against.content;
  } else if (against) {
    reference = groups.find((group) => group.hosts.includes(against.host));
    if (!reference) {
      const outcome = run.outcomes.find((candidate) => candidate.host === against.host);
      if (!outcome) throw new OptionError('against', (name) => `${name('against')} ${against.host}: that host is not among the hosts compared`);
      throw new OptionError('against', (name) => `${name('against')} ${against.host}: it answered ${outcome.status}${outcome.message ? ` (${outcome.message})` : ''}; cannot compare against it`);
    }
    referenceFrom = `host ${against.host}`;
  } else {
    reference = groups[0];
  }
  if (reference) {
    reference.reference = true;
    groups.splice(groups.indexOf(reference), 1);
    groups.unshift(reference);
    if (referenceContent === null && reference.state.kind === 'content') referenceContent = contents.bySha.get(reference.state.sha256) ?? null;
  }
  const refLabel = reference ? labelOf(reference, referenceFrom, path) : '/dev/null';
  for (const group of groups) {
    if (group.reference) {
      group.diff = '';
      continue;
    }
    if (group.state.kind !== 'content') continue;
    const content = contents.bySha.get(group.state.sha256);
    if (!content) {
      group.diff = `(${path} could not be read whole from ${group.hosts[0] ?? '?'}; no diff shown)\n`;
      continue;
    }
    if (reference?.state.kind === 'content' && referenceContent === null) {
      group.diff = `(the reference could not be read whole; no diff shown)\n`;
      continue;
    }
    group.diff = contentDiff({ content: referenceContent, label: refLabel }, { content, label: `${foldNodeset(group.hosts)}:${path}` });
  }

  const groupOf = new Map<string, DiffGroup>();
  for (const group of groups) for (const host of group.hosts) groupOf.set(host, group);
  const outcomes = run.outcomes.map((outcome): Outcome<FileState> => {
    const group = groupOf.get(outcome.host);
    if (outcome.status !== 'ok' || !group) return outcome;
    // A file missing (or unreadable) on the reference hosts is no answer to "is it the same
    // everywhere?": those hosts fail too, so a path missing on every host exits 1.
    if (group.reference && group.state.kind !== 'content') return { ...outcome, status: 'failed', exitCode: 1, message: describeState(group.state) };
    if (group.reference) return { ...outcome, message: 'same as the reference' };
    return { ...outcome, status: 'failed', exitCode: 1, message: describeState(group.state, true) };
  });
  const identical = outcomes.every((outcome) => outcome.status === 'ok') && !run.interrupted && !run.aborted;
  return { path, groups, outcomes, identical, referenceFrom, run: { ...run, outcomes } };
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
