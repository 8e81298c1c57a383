/**
 * The local half of a push: what SRC is (a file, a directory as a tar stream with
 * its manifest, or a template rendered per host), read once before any host is
 * touched, so a missing file or an undefined template variable stops the push
 * before anything is written anywhere.
 */
import { spawn } from 'node:child_process';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { formatProblem, InvalidFileError, OptionError, UsageError, type Problem } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';
import type { Host, Inventory } from '../inventory/types.js';
import { hostTemplateContext, renderTemplate } from '../render/engine.js';
import type { Selector } from '../render/context.js';
import { sha256, type DirEntry, type DirManifest, type PushContent } from './push.js';

/** A source ready to push: the same content for every host, or one per host (templates). */
export interface PreparedSource {
  /** The content for one host. Throws if the host was not prepared. */
  contentFor(host: string): PushContent;
  kind: 'file' | 'dir';
}

/** Reads a local file or directory as push content. A directory needs `recursive`. */
export async function readSource(src: string, options: { recursive?: boolean; signal?: AbortSignal } = {}): Promise<PushContent> {
  let info;
  try {
    info = await lstat(src);
  } catch (error) {
    throw new UsageError(`Cannot read ${src}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  if (info.isDirectory()) {
    if (!options.recursive) throw new OptionError('recursive', (name) => `${src} is a directory: add ${name('recursive')} to push a directory`);
    const manifest = await localManifest(src);
    const tar = await tarOf(src, options.signal);
    return { kind: 'dir', tar, manifest };
  }
  if (!info.isFile()) throw new UsageError(`Cannot push ${src}: not a regular file or directory`);
  const data = await readFile(src);
  return { kind: 'file', data, sha256: sha256(data) };
}

/**
 * Prepares SRC for a set of hosts. With `template`, renders it once per host with
 * that host's resolved vars (strict: an undefined variable throws InvalidFileError
 * naming the template file:line:col and the hosts, each problem once with its hosts
 * folded) — all hosts before any push.
 */
export async function prepareSource(
  src: string,
  options: { recursive?: boolean; template?: boolean; inventory?: Inventory; hosts?: Host[]; selector?: Selector; signal?: AbortSignal },
): Promise<PreparedSource> {
  if (!options.template) {
    const content = await readSource(src, options);
    return { kind: content.kind, contentFor: () => content };
  }
  if (options.recursive) throw new OptionError('template', (name) => `${name('template')} renders one file: it cannot be combined with ${name('recursive')}`);
  const { inventory, hosts } = options;
  if (!inventory || !hosts) throw new OptionError('template', (name) => `${name('template')} needs an inventory to render with`);
  let source;
  try {
    source = await readFile(src, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${src}: ${(error as Error).message}`, { cause: error });
  }
  const rendered = new Map<string, PushContent>();
  const cache = new Map<string, PushContent>();
  // The same problem on many hosts is one problem: said once, with the hosts folded.
  const problems = new Map<string, { problem: Problem; hosts: string[] }>();
  for (const host of hosts) {
    try {
      const text = renderTemplate(source, hostTemplateContext(inventory, host, options.selector), { file: src });
      // Hosts that render the same text share one buffer (and one --check diff).
      let content = cache.get(text);
      if (!content) {
        const data = Buffer.from(text, 'utf8');
        content = { kind: 'file', data, sha256: sha256(data) };
        cache.set(text, content);
      }
      rendered.set(host.name, content);
    } catch (error) {
      if (!(error instanceof InvalidFileError)) throw error;
      for (const problem of error.problems) {
        const key = formatProblem(problem);
        const seen = problems.get(key);
        if (seen) seen.hosts.push(host.name);
        else problems.set(key, { problem, hosts: [host.name] });
      }
      if (problems.size >= 20) break;
    }
  }
  if (problems.size > 0) {
    throw new InvalidFileError(`template ${src}`, [...problems.values()].map(({ problem, hosts: names }) =>
      ({ ...problem, message: `${problem.message} (rendering for ${foldNodeset(names)}${names.length > 1 ? `, ${names.length} hosts` : ''})` })));
  }
  return {
    kind: 'file',
    contentFor: (host) => {
      const content = rendered.get(host);
      if (!content) throw new Error(`no rendered content for ${host}`);
      return content;
    },
  };
}

/** The manifest of a local tree, in the same form `inspect` reads from a host. */
export async function localManifest(root: string): Promise<DirManifest> {
  const top = await lstat(root);
  const entries: DirEntry[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const name of await readdir(dir)) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const full = join(dir, name);
      const info = await lstat(full);
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isDirectory()) {
        entries.push({ type: 'd', path, mode });
        await walk(full, path);
      } else if (info.isSymbolicLink()) {
        entries.push({ type: 'l', path, mode: '', link: await readlink(full) });
      } else if (info.isFile()) {
        entries.push({ type: 'f', path, mode, sha256: sha256(await readFile(full)) });
      } else {
        throw new UsageError(`Cannot push ${full}: not a regular file, directory or symlink`);
      }
    }
  }
  await walk(root, '');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { mode: (top.mode & 0o7777).toString(8), entries };
}

/** A tar stream of a local directory's contents (`tar -C DIR -cf - .`). */
function tarOf(dir: string, signal: AbortSignal | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', dir, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new UsageError(`Cannot pack ${dir}: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
  });
}
