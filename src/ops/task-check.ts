/**
 * What `--check` shows for a push: the unified diff between what a host has and
 * what it would get, computed once per distinct change and read only (no lock,
 * nothing written on the host).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../transport/types.js';
import { contentDiff, unifiedDiffDirs } from './diff-unified.js';
import { normalizeMode, ownerMatches, readRemote, sha256, type PushContent, type PushTarget, type RemoteState } from './push.js';

/**
 * The diff a `--check` shows for one host, computed once per distinct
 * (step, current content, new content): 98 hosts that would get the same change
 * cost one fetch and one diff, and show one gathered block.
 */
export async function checkDiff(cache: Map<string, Promise<string>>, step: number, session: Session, where: PushTarget, state: RemoteState, content: PushContent, signal: AbortSignal): Promise<string> {
  const key = [step, stateKey(state), content.kind === 'file' ? content.sha256 : sha256(JSON.stringify(content.manifest))].join('\0');
  const cached = cache.get(key);
  if (cached) {
    try {
      return await cached;
    } catch {
      // The host that computed it failed (e.g. timed out); compute it here instead.
      cache.delete(key);
    }
  }
  const promise = computeDiff(session, where, state, content, signal);
  if (!cache.has(key)) cache.set(key, promise);
  return promise;
}

function stateKey(state: RemoteState): string {
  switch (state.kind) {
    case 'missing':
      return 'missing';
    case 'other':
      return `other ${state.what}`;
    case 'file':
      return `${state.sha256} ${state.mode} ${state.owner}`;
    case 'dir':
      return sha256(JSON.stringify(state.manifest));
  }
}

async function computeDiff(session: Session, where: PushTarget, state: RemoteState, content: PushContent, signal: AbortSignal): Promise<string> {
  const label = where.dest.startsWith('/') ? where.dest : `/${where.dest}`;
  const notes: string[] = [];
  if (state.kind === 'file' && content.kind === 'file') {
    if (where.mode !== undefined && state.mode !== normalizeMode(where.mode)) notes.push(`mode ${state.mode} → ${normalizeMode(where.mode)}`);
    if (where.owner !== undefined && !ownerMatches(state.owner, where.owner)) notes.push(`owner ${state.owner} → ${where.owner}`);
  }
  let diff: string;
  if (content.kind === 'file') {
    if (state.kind === 'file' && state.sha256 === content.sha256) diff = '';
    else {
      const before = state.kind === 'missing' ? null : await readRemote(session, where, 'file', signal);
      if (before === null && state.kind !== 'missing') return `${where.dest}: cannot read the current file to show a diff\n`;
      diff = contentDiff({ content: before, label: `a${label}` }, { content: content.data, label: `b${label}` });
    }
  } else {
    diff = await dirDiff(session, where, state, content, signal);
    if (diff === '') notes.push(`${where.dest}: modes or owners differ`);
  }
  return `${notes.map((note) => `${where.dest}: ${note}\n`).join('')}${diff}`;
}

async function dirDiff(session: Session, where: PushTarget, state: RemoteState, content: Extract<PushContent, { kind: 'dir' }>, signal: AbortSignal): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'muster-check-'));
  try {
    const name = where.dest.replace(/^\/+/, '').replace(/\/+$/, '') || 'root';
    await mkdir(join(dir, 'a', name), { recursive: true });
    await mkdir(join(dir, 'b', name), { recursive: true });
    if (state.kind === 'dir') {
      const tar = await readRemote(session, where, 'dir', signal);
      if (tar === null) return `${where.dest}: cannot read the current tree to show a diff\n`;
      await untar(tar, join(dir, 'a', name), signal);
    }
    await untar(content.tar, join(dir, 'b', name), signal);
    return await unifiedDiffDirs(dir, 'a', 'b', { signal });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function untar(data: Buffer, into: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // --no-same-owner/--no-same-permissions: a remote tree is data here, never trusted metadata.
    const child = spawn('tar', ['-xf', '-', '--no-same-owner', '--no-same-permissions', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'], signal });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar: ${Buffer.concat(err).toString('utf8').trim()}`))));
    child.stdin.on('error', reject);
    child.stdin.end(data);
  });
}
