/**
 * The edits of `muster set` as written: `state=VALUE`, `note=VALUE`,
 * `vars.KEY=VALUE`, and the fields `--unset` names (`state`, `note`, `vars.KEY`).
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type Pair } from 'yaml';
import { OptionError, UsageError } from '../core/errors.js';
import { shellQuote } from '../core/shell.js';
import type { VarValue } from './types.js';

/** What an edit changes: the host's state, its note, or one of its own vars. */
export type EditField = { field: 'state' } | { field: 'note' } | { field: 'vars'; key: string };

/** One edit: set the field to `value`, or, when `value` is absent, remove the host's own value. */
export interface Edit {
  target: EditField;
  value?: VarValue;
}

/**
 * Parses `state=VALUE`, `note=VALUE` or `vars.KEY=VALUE`. State and note take
 * the text as it is; a var's value is read as YAML (`8080` a number, `true` a
 * boolean, `null`, `[a, b]`, `{k: v}`), except that text YAML would read as a
 * block collection (`a: b`) stays a string, and `vars.KEY=` (nothing after the
 * `=`) is the empty string. `note=` removes the note. Throws `UsageError`
 * (an `OptionError` of `edits` for `state=`, which names the `unset` option).
 *
 * @example parseEdit('vars.http_port=8080') // { target: { field: 'vars', key: 'http_port' }, value: 8080 }
 */
export function parseEdit(assignment: string): Edit {
  const eq = assignment.indexOf('=');
  if (eq === -1) throw new UsageError(`Expected KEY=VALUE (state=, note=, vars.KEY=), got ${JSON.stringify(assignment)}`);
  const target = parseField(assignment.slice(0, eq), assignment);
  const text = assignment.slice(eq + 1);
  switch (target.field) {
    case 'state':
      if (text === '') throw new OptionError('edits', (name) => `state= needs a state (use ${name('unset')} state to fall back to the default state)`);
      return { target, value: text };
    case 'note':
      return text === '' ? { target } : { target, value: text };
    case 'vars':
      return { target, value: yamlScalar(text, fieldLabel(target)) };
  }
}

/** Parses a field to unset (the option `unset`, `--unset` in the CLI): `state`, `note` or `vars.KEY`. Throws `UsageError`. */
export function parseUnset(path: string): Edit {
  return { target: parseField(path, path) };
}

function parseField(path: string, whole: string): EditField {
  if (path === 'state' || path === 'note') return { field: path };
  if (path.startsWith('vars.') && path.length > 'vars.'.length) return { field: 'vars', key: path.slice('vars.'.length) };
  throw new UsageError(`Cannot set ${JSON.stringify(path)} in ${JSON.stringify(whole)}: muster set edits state, note and vars.KEY`);
}

/**
 * A var's value from the command line: what YAML reads as a number, boolean or
 * null, a quoted string, or a flow list/map is taken as such; anything else
 * (plain text, text with a `#` comment, block syntax) is the text exactly as
 * typed, so YAML's folding and comment stripping never change a string. Text
 * that opens as a flow list/map or a quoted string but is not valid YAML (a
 * key given twice, a bracket left open) is a `UsageError`, not a string: the
 * user meant a value, and storing the text instead would hide the mistake.
 * So is an alias bomb (more than 100 aliases resolved).
 */
function yamlScalar(text: string, label: string): VarValue {
  if (text === '') return '';
  const doc = parseDocument(text);
  const node = doc.contents;
  const error = doc.errors[0];
  if (error && /^\s*[[{"']/.test(text)) {
    const reason = error.code === 'DUPLICATE_KEY' ? 'a key is given twice' : `YAML: ${(error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, '')}`;
    throw new UsageError(`Cannot read the value of ${label}: ${reason} (to store the text as it is, quote it as a YAML string: ${shellQuote(`${label}=${JSON.stringify(text)}`)})`);
  }
  if (error || doc.warnings.length > 0 || doc.comment || doc.commentBefore || !node || node.comment || node.commentBefore) return text;
  if (isScalar(node)) {
    if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' || typeof node.value !== 'string') return toValue(doc, label);
    return text;
  }
  if ((isMap(node) || isSeq(node)) && node.flow === true && !hasComments(node)) return toValue(doc, label);
  return text;
}

/** The value of a command-line YAML document; aliases past 100 (a "billion laughs") are a `UsageError`. */
function toValue(doc: Document, label: string): VarValue {
  try {
    return doc.toJS({ maxAliasCount: 100 }) as VarValue;
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb; anything else is a bug and keeps its stack.
    if (!(error instanceof ReferenceError)) throw error;
    throw new UsageError(`Cannot read the value of ${label}: its YAML aliases expand too far (${error.message})`);
  }
}

function hasComments(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  const { comment, commentBefore } = node as { comment?: string | null; commentBefore?: string | null };
  if (comment || commentBefore) return true;
  if (isMap(node)) return (node.items as Pair[]).some((pair) => hasComments(pair.key) || hasComments(pair.value));
  if (isSeq(node)) return node.items.some(hasComments);
  return false;
}

/** How an edit's field is named in messages and changes: `state`, `note`, `vars.http_port`. */
export function fieldLabel(target: EditField): string {
  return target.field === 'vars' ? `vars.${target.key}` : target.field;
}
