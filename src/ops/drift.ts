/**
 * `muster drift`: every host's managed files compared with the repository, one
 * connection and one probe exec per host (driftProbe.ts), and the contents of a
 * differing file read once per distinct content across the fleet (a second exec,
 * only on hosts holding a content not yet read). The fleet view (driftGroups)
 * then puts, per path, the hosts with the same state together, so each diff is
 * shown once with its folded host list.
 */
import type { Job } from '../run/engine.js';
import type { RunResult } from '../run/engine.js';
import { contentDiff } from './diff-unified.js';
import { probe, readContents, type PathState } from './driftProbe.js';
import type { ManagedFile, ManagedPlan } from './managedSources.js';
import { isUnchanged, normalizeMode, ownerMatches, type DirManifest, type PushContent } from './push.js';

/** How a path compares: what drift reports per file and host. */
export type Verdict = 'in sync' | 'drifted' | 'missing' | 'parent folder missing' | 'unexpected' | 'not a file' | 'unreadable';

/** One managed path on one host. */
export interface FileCheck {
  path: string;
  verdict: Verdict;
  /** What differs: `content`, `mode 644, wanted 640`, `owner www:www, wanted root:root`, or what is there instead. */
  details: string[];
  state: PathState;
  /** Its content is never shown (mode 0600 or stricter, or a key/secret by name) unless asked. */
  secret: boolean;
  /** A tree's entries that differ, one line each (`manifestChanges`): its diff. */
  changes?: string[];
}

/** A host's answer: every managed path, in declaration order. */
export interface HostDrift {
  files: FileCheck[];
}

/** Contents read during a drift run, one per (path, checksum): read from the first host that has it. */
export class DriftContents {
  private readonly held = new Map<string, Buffer | null>();
  private readonly pending = new Set<string>();

  private static key(path: string, sha: string): string {
    return `${path}\0${sha}`;
  }

  /** True once per (path, checksum): the caller reads it. */
  claim(path: string, sha: string): boolean {
    const key = DriftContents.key(path, sha);
    if (this.pending.has(key) || this.held.has(key)) return false;
    this.pending.add(key);
    return true;
  }

  release(path: string, sha: string): void {
    this.pending.delete(DriftContents.key(path, sha));
  }

  set(path: string, sha: string, content: Buffer | null): void {
    this.held.set(DriftContents.key(path, sha), content);
  }

  get(path: string, sha: string): Buffer | null | undefined {
    return this.held.get(DriftContents.key(path, sha));
  }
}

/** Files larger than this are compared by checksum only: their diff would not be read by anyone. */
export const maxDiffBytes = 8 * 1024 * 1024;

/** No group or other permission bits: a secret's mode (0600, 0400, 0640 is not). */
function secretMode(mode: string | undefined): boolean {
  if (mode === undefined || !/^[0-7]{3,4}$/.test(mode)) return false;
  return (Number.parseInt(mode, 8) & 0o077) === 0;
}

/** Names that hold keys or secrets whatever their mode says. */
const secretName = /(\.key|\.pem|\.p12|\.pfx|_rsa|_ed25519|\/shadow-?|secret|password|token)[^/]*$/i;

export function isSecret(file: ManagedFile, state: PathState): boolean {
  const remoteMode = state.kind === 'file' || state.kind === 'unreadable' ? state.mode : undefined;
  return secretMode(file.spec.mode) || secretMode(remoteMode) || secretName.test(file.path);
}

/** Compares one path's state with what the repository says for this host. */
export function compare(file: ManagedFile, content: PushContent | undefined, state: PathState): FileCheck {
  const check = (verdict: Verdict, details: string[] = []): FileCheck => ({ path: file.path, verdict, details, state, secret: isSecret(file, state) });
  if (file.kind === 'absent') return state.kind === 'present' ? check('unexpected', [state.what]) : check('in sync');
  switch (state.kind) {
    case 'missing':
      return check('missing');
    case 'noparent':
      return check('parent folder missing');
    case 'other':
    case 'present':
      return check('not a file', [state.what]);
    case 'absent':
      return check('missing');
    case 'unreadable':
      return check('unreadable', [state.reason]);
    case 'dir': {
      if (!content || content.kind !== 'dir') return check('not a file', ['a directory']);
      const target = { dest: file.path, ...(file.spec.mode ? { mode: file.spec.mode } : {}), ...(file.spec.owner ? { owner: file.spec.owner } : {}) };
      if (isUnchanged(state, content, target)) return check('in sync');
      const changes = manifestChanges(state.manifest, content.manifest, file.spec.mode);
      return { ...check('drifted', [`${plural(changes.length, 'entry')} of the tree`]), changes };
    }
    case 'file': {
      if (!content || content.kind !== 'file') return check('not a file', ['a file, wanted a directory']);
      const details: string[] = [];
      if (state.sha256 !== content.sha256) details.push('content');
      if (file.spec.mode !== undefined && state.mode !== normalizeMode(file.spec.mode)) details.push(`mode ${state.mode}, wanted ${normalizeMode(file.spec.mode)}`);
      if (file.spec.owner !== undefined && !ownerMatches(state.owner, file.spec.owner)) details.push(`owner ${state.owner}, wanted ${file.spec.owner}`);
      return details.length === 0 ? check('in sync') : check('drifted', details);
    }
  }
}

/** What differs between a host's tree and the repository's, one line per entry (the tree's manifest diff). */
export function manifestChanges(host: DirManifest, repo: DirManifest, mode: string | undefined): string[] {
  const wantedMode = mode === undefined ? undefined : normalizeMode(mode);
  const there = new Map(host.entries.map((entry) => [entry.path, entry]));
  const lines: string[] = [];
  if (host.mode !== repo.mode) lines.push(`. folder mode ${host.mode}, wanted ${repo.mode}`);
  for (const want of repo.entries) {
    const have = there.get(want.path);
    there.delete(want.path);
    if (!have) lines.push(`+ ${want.path} (missing on the host)`);
    else if (have.type !== want.type) lines.push(`~ ${want.path} is a ${have.type}, wanted a ${want.type}`);
    else if (want.type === 'f' && have.sha256 !== want.sha256) lines.push(`~ ${want.path} content differs`);
    else if (want.type === 'l' && have.link !== want.link) lines.push(`~ ${want.path} -> ${have.link ?? ''}, wanted -> ${want.link ?? ''}`);
    else if (want.type !== 'l' && have.mode !== (want.type === 'f' && wantedMode !== undefined ? wantedMode : want.mode)) lines.push(`~ ${want.path} mode ${have.mode}, wanted ${want.type === 'f' && wantedMode !== undefined ? wantedMode : want.mode}`);
  }
  for (const extra of there.keys()) lines.push(`- ${extra} (not in the repository)`);
  return lines.length > 0 ? lines : ['owner differs'];
}

/** The job of `muster drift`: one probe exec, and one read of the differing contents no other host has given yet. */
export function driftJob(plan: ManagedPlan, contents: DriftContents, options: { sudo?: boolean; showSecrets?: boolean } = {}): Job<HostDrift> {
  return async (session, { target, signal }) => {
    const files = plan.get(target.name) ?? [];
    const sudo = options.sudo ?? false;
    const states = files.length === 0 ? [] : await probe(session, files, { signal, sudo });
    const checks = files.map((file, index) => compare(file, file.source?.contentFor(target.name), states[index] as PathState));
    const wanted: { path: string; size: number; sha256: string }[] = [];
    for (const check of checks) {
      if (check.state.kind !== 'file' || !check.details.includes('content')) continue;
      if (check.secret && !options.showSecrets) continue;
      if (check.state.size > maxDiffBytes) continue;
      if (contents.claim(check.path, check.state.sha256)) wanted.push({ path: check.path, size: check.state.size, sha256: check.state.sha256 });
    }
    try {
      const read = await readContents(session, wanted, { signal, sudo });
      wanted.forEach((file, index) => contents.set(file.path, file.sha256, read[index] ?? null));
    } catch (error) {
      for (const file of wanted) contents.release(file.path, file.sha256);
      throw error;
    }
    const off = checks.filter((check) => check.verdict !== 'in sync');
    const data = { files: checks };
    if (off.length === 0) return { status: 'ok', exitCode: 0, stdout: '', stderr: '', message: `in sync (${plural(checks.length, 'file')})`, data };
    return { status: 'failed', exitCode: 1, stdout: '', stderr: '', message: `drifted: ${off.map((check) => check.path).join(', ')}`, data };
  };
}

export function plural(count: number, word: string): string {
  if (count !== 1 && word.endsWith('y')) return `${count} ${word.slice(0, -1)}ies`;
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Hosts with the same state of one path. */
export interface DriftGroup {
  verdict: Verdict;
  details: string[];
  hosts: string[];
  /** The unified diff from the hosts' content to the repository's (drifted content), or the tree's changes. */
  diff?: string;
}

/** One managed path across the fleet. */
export interface PathReport {
  path: string;
  groups: DriftGroup[];
}

/**
 * The fleet view: per path (first-declared order), groups of hosts with the same
 * state — the same verdict, what differs and the same diff (a template rendered
 * per host still folds when its hosts drifted the same way) — in sync first, then
 * by size. Each distinct diff is computed once; secrets get a line in place of one.
 */
export function driftGroups(run: RunResult<HostDrift>, plan: ManagedPlan, contents: DriftContents, options: { showSecrets?: boolean } = {}): PathReport[] {
  const paths = new Map<string, Map<string, DriftGroup>>();
  const diffs = new Map<string, string | undefined>();
  for (const outcome of run.outcomes) {
    if (!outcome.data) continue;
    const files = plan.get(outcome.host) ?? [];
    outcome.data.files.forEach((check, index) => {
      const file = files[index];
      if (!file) return;
      let groups = paths.get(check.path);
      if (!groups) paths.set(check.path, (groups = new Map()));
      const wanted = file.source?.contentFor(outcome.host);
      const have = check.state.kind === 'file' ? check.state.sha256 : '';
      const diffKey = JSON.stringify([check.path, have, wanted?.kind === 'file' ? wanted.sha256 : '', check.details, check.changes ?? null]);
      if (!diffs.has(diffKey)) diffs.set(diffKey, diffOf(check, file, wanted, outcome.host, contents, options.showSecrets ?? false));
      const diff = diffs.get(diffKey);
      const key = check.verdict === 'in sync' ? 'in sync' : JSON.stringify([check.verdict, check.details, diff ?? null]);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { verdict: check.verdict, details: check.details, hosts: [], ...(diff !== undefined ? { diff } : {}) }));
      group.hosts.push(outcome.host);
    });
  }
  return [...paths].map(([path, byKey]) => ({
    path,
    groups: [...byKey.values()].sort((a, b) => Number(b.verdict === 'in sync') - Number(a.verdict === 'in sync') || b.hosts.length - a.hosts.length),
  }));
}

/** The diff of one drifted path from the host's content to the repository's; labels name no host, so equal diffs fold. */
function diffOf(check: FileCheck, file: ManagedFile, wanted: PushContent | undefined, host: string, contents: DriftContents, showSecrets: boolean): string | undefined {
  if (check.verdict !== 'drifted') return undefined;
  if (check.state.kind === 'dir') return `${(check.changes ?? []).join('\n')}\n`;
  if (check.state.kind !== 'file' || !check.details.includes('content')) return undefined;
  if (check.secret && !showSecrets) return `(content differs; not shown: ${file.path} is a secret (mode ${check.state.mode}); --show-secrets shows it)\n`;
  if (check.state.size > maxDiffBytes) return `(content differs; ${check.state.size} bytes on the host: too large to diff)\n`;
  const have = contents.get(file.path, check.state.sha256);
  if (!have) return `(${file.path} could not be read whole from ${host}; no diff shown)\n`;
  if (wanted?.kind !== 'file') return undefined;
  return contentDiff({ content: have, label: `host:${file.path}` }, { content: wanted.data, label: `repository:${file.spec.src ?? ''}` });
}

/**
 * Each drifted host's part of the fleet view, as its outcome's stdout: the paths
 * off and their diffs (secrets already replaced by a line). The terminal view
 * and `--json` show the fleet view itself; this is what the journal keeps, so
 * `muster history ID` and the web view gather a drift run like any other
 * (hosts that drifted the same way fold, each diff once).
 */
export function withDriftText<T>(run: RunResult<T>, reports: readonly PathReport[]): RunResult<T> {
  const text = new Map<string, string>();
  for (const report of reports) {
    for (const group of report.groups) {
      if (group.verdict === 'in sync') continue;
      const part = `${report.path}: ${group.verdict}${group.details.length > 0 ? ` (${group.details.join(', ')})` : ''}\n${group.diff ? `${group.diff.endsWith('\n') ? group.diff : `${group.diff}\n`}` : ''}`;
      for (const host of group.hosts) text.set(host, (text.get(host) ?? '') + part);
    }
  }
  return { ...run, outcomes: run.outcomes.map((outcome) => (text.has(outcome.host) ? { ...outcome, stdout: text.get(outcome.host) ?? '' } : outcome)) };
}
