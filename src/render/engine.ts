/**
 * The template engine: LiquidJS, configured for config files rather than web
 * pages. Strict about undefined variables and filters (an error with the
 * template's file:line:col, never an empty string), no autoescape, templates see
 * only their own context's own properties (no `constructor`, no `process`), and
 * `{% include %}` / `{% render %}` read only files inside the template's own folder.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { Liquid, type FS, type Template } from 'liquidjs';
import { InvalidFileError } from '../core/errors.js';
import { readRegularFileSync } from '../core/readRegularFile.js';
import { registerFilters } from './filters.js';
export { templateContext, hostTemplateContext } from './context.js';
export type { HostView, RoleView, GroupView, TemplateContext } from './context.js';

/** The most bytes a template (or an included file) may have: 16 MiB. */
export const maxTemplateBytes = 16 * 1024 * 1024;

/**
 * Reads a template: a regular file (or a link to one) of UTF-8 text within
 * `maxTemplateBytes` (see core/readRegularFile.ts), else an `InvalidFileError`
 * naming it. `what` names the file in messages (`template`, `values file`).
 */
export function readTemplateFile(file: string, what = 'template'): string {
  return readRegularFileSync(file, { what: `${what} ${file}`, maxBytes: maxTemplateBytes });
}

export interface RenderOptions {
  /** The template's path (for error locations, and the folder includes are read from). */
  file: string;
}

/** Whether `file` lies inside `root`, symlinks resolved: the include fence. */
function inside(root: string, file: string): boolean {
  try {
    const realRoot = realpathSync(root);
    const realFile = realpathSync(file);
    return realFile === realRoot || realFile.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
  } catch {
    // A file that does not exist is not inside anything; the lookup then reports it missing.
    return false;
  }
}

// Liquid's tokens keep the source text but not always the file name: remember
// which file each included text came from, so errors point into the right file.
const includedFrom = new Map<string, string>();
function remember(text: string, file: string): void {
  if (includedFrom.size >= 256) includedFrom.delete(includedFrom.keys().next().value as string);
  includedFrom.set(text, file);
}

/** Node's file system, fenced: names are resolved under a root, never absolute, never outside it. */
const fencedFs: FS = {
  exists: async (file) => fencedFs.existsSync(file),
  existsSync: (file) => {
    try {
      return statSync(file).isFile();
    } catch {
      // Missing or unreadable: not there, as far as includes go.
      return false;
    }
  },
  readFile: async (file) => fencedFs.readFileSync(file),
  readFileSync: (file) => {
    const text = readTemplateFile(file);
    remember(text, file);
    return text;
  },
  resolve: (dir, file, ext) => {
    // An absolute name is never looked up where it points: it lands under a path
    // that does not exist, so the lookup fails as "Failed to lookup".
    if (isAbsolute(file)) return resolve('/nonexistent-absolute-include', file.replace(/^\/+/, ''));
    return resolve(dir, file + (ext && !file.endsWith(ext) ? ext : ''));
  },
  contains: async (root, file) => inside(root, file),
  containsSync: (root, file) => inside(root, file),
  sep,
  dirname,
};

const engines = new Map<string, Liquid>();

/** One Liquid per template folder: its root is the fence for includes. */
function engineFor(folder: string): Liquid {
  let engine = engines.get(folder);
  if (!engine) {
    engine = new Liquid({
      root: [folder],
      fs: fencedFs,
      relativeReference: true,
      strictVariables: true,
      strictFilters: true,
      ownPropertyOnly: true,
      lenientIf: true,
      cache: 64,
    });
    registerFilters(engine);
    engines.set(folder, engine);
  }
  return engine;
}

const parsed = new Map<string, Template[]>();
const parsedLimit = 512;

/**
 * Parses once per (folder, source): rendering the same template or check command
 * for 10,000 hosts costs one parse. Keyed by text, not file name, because check
 * commands get a per-host label; error locations come from the render call.
 */
function parse(source: string, file: string): { engine: Liquid; templates: Template[] } {
  const folder = dirname(resolve(file));
  const engine = engineFor(folder);
  const key = `${folder}\0${source}`;
  const hit = parsed.get(key);
  if (hit) return { engine, templates: hit };
  const templates = engine.parse(source, resolve(file));
  if (parsed.size >= parsedLimit) parsed.delete(parsed.keys().next().value as string);
  parsed.set(key, templates);
  return { engine, templates };
}

interface LiquidLike extends Error {
  token?: { file?: string; input?: string; getPosition(): [number, number] };
  originalError?: unknown;
}

function isLiquidError(error: unknown): error is LiquidLike {
  return error instanceof Error && typeof (error as LiquidLike).token?.getPosition === 'function';
}

/**
 * Turns a Liquid error into an InvalidFileError at the innermost template
 * position (an error inside an include points into the included file).
 */
function asInvalidFile(error: unknown, file: string, source: string): InvalidFileError | undefined {
  if (!isLiquidError(error)) return undefined;
  let inner: LiquidLike = error;
  while (isLiquidError(inner.originalError)) inner = inner.originalError;
  const [line, col] = inner.token?.getPosition() ?? [1, 1];
  const input = inner.token?.input;
  const where = input === undefined || input === source ? file : includedFrom.get(input) ?? inner.token?.file ?? file;
  const at = { file: where, line, col };
  const cause = inner.originalError instanceof Error ? inner.originalError : undefined;
  const message = (cause && !isLiquidError(cause) ? cause.message : inner.message)
    .replace(/, file:.*?, line:\d+, col:\d+$/s, '')
    .replace(/, line:\d+, col:\d+$/, '');
  return new InvalidFileError(`template ${file}`, [{ message, at }], { cause: error });
}

/**
 * Renders a Liquid template with a context (usually from `templateContext`).
 * Throws InvalidFileError naming `options.file`:line:col for a syntax error, an
 * undefined variable or filter, or a filter that fails (e.g. a bad selector in
 * `| select`). Synchronous: templates never wait on I/O other than includes.
 */
export function renderTemplate(source: string, context: object, options: RenderOptions): string {
  try {
    const { engine, templates } = parse(source, options.file);
    return engine.renderSync(templates, context) as string;
  } catch (error) {
    throw asInvalidFile(error, options.file, source) ?? error;
  }
}

/**
 * The root-scope names a template reads (`host`, `hosts`, `provision`, …), found
 * by static analysis of the template as renderTemplate parses it (included files
 * not followed). Throws as renderTemplate does when it does not parse.
 */
export function templateGlobals(source: string, file: string): string[] {
  try {
    const { engine, templates } = parse(source, file);
    return engine.globalVariablesSync(templates, { partials: false });
  } catch (error) {
    throw asInvalidFile(error, file, source) ?? error;
  }
}
