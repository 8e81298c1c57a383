/**
 * One inventory file checked against its schema: each issue becomes a problem
 * at its file:line:col, and the part of the file it makes unusable is dropped,
 * so the rest is still checked (and its problems reported) in the same pass.
 */
import { z } from 'zod';
import type { Problem } from '../core/errors.js';
import { describeIssue, inventoryWording } from './issueWording.js';
import { inventoryFileSchema, type InventoryFile } from './schema.js';
import { pathPosition, type YamlSource } from './sourcePosition.js';

/** What of a file passed the schema, and what was dropped from it. */
export interface CheckedFile {
  /** The parts of the file that passed the schema (entries with problems are dropped, so they cause no follow-on errors). */
  data: InventoryFile;
  /** Top-level keys dropped for schema problems: checks that depend on them are skipped. */
  broken: Set<string>;
  /** Roles declared (even if their body had problems), so hosts naming them raise no second error. */
  declaredRoles: Set<string>;
}

const collections = new Set(['roles', 'groups', 'hosts', 'checks']);

const wording = inventoryWording(allowedKeys);

/**
 * Validates the data of one file (`raw`, a mapping read from `source`) and adds
 * a problem for each schema issue to `problems`, worded as `issueWording` says
 * for the inventory; unknown keys list the keys the schema allows there.
 */
export function checkFile(source: YamlSource, raw: Record<string, unknown>, problems: Problem[]): CheckedFile {
  const checked: CheckedFile = { data: {}, broken: new Set(), declaredRoles: new Set() };
  const result = inventoryFileSchema.safeParse(raw);
  if (result.success) {
    checked.data = result.data;
    return checked;
  }
  if (isRecord(raw['roles'])) for (const role of Object.keys(raw['roles'])) checked.declaredRoles.add(role);
  // Every issue is worded before any part is dropped: a second issue in a dropped part
  // (two bad files of one role) would otherwise find its value gone and say it is missing.
  for (const issue of result.error.issues) {
    for (const { message, path, want } of describeIssue(issue, raw, wording)) problems.push({ message, at: pathPosition(source, path, want) });
  }
  for (const issue of result.error.issues) prune(raw, issue, checked.broken);
  checked.data = raw as InventoryFile;
  return checked;
}

/**
 * The keys the schema allows in the mapping at `path` of a file, in the order
 * the schema declares them; undefined where the path is not a fixed-key mapping.
 *
 * @example allowedKeys(['defaults']) // ['user', 'port', 'vars']
 */
export function allowedKeys(path: readonly PropertyKey[]): string[] | undefined {
  let schema: z.ZodType | undefined = inventoryFileSchema;
  for (const segment of path) {
    const at: z.ZodType = unwrap(schema);
    if (at instanceof z.ZodObject) schema = (at.shape as Record<string, z.ZodType>)[String(segment)];
    else if (at instanceof z.ZodRecord) schema = at.valueType as z.ZodType;
    else return undefined;
    if (schema === undefined) return undefined;
  }
  const at = unwrap(schema);
  return at instanceof z.ZodObject ? Object.keys(at.shape) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let at = schema;
  while (at instanceof z.ZodOptional || at instanceof z.ZodNullable) at = at.unwrap() as z.ZodType;
  return at;
}

/**
 * Drops the smallest part of a file that a schema problem makes unusable: a bad
 * field of a host or role, a whole check, a whole top-level list. Unknown keys
 * drop nothing, since only known keys are read.
 */
function prune(data: Record<string, unknown>, issue: z.core.$ZodIssue, broken: Set<string>): void {
  const path = issue.path.map(String);
  const [top, entry, field] = path;
  if (top === undefined || (issue.code === 'unrecognized_keys' && path.length < 3 && collections.has(top)) || (issue.code === 'unrecognized_keys' && path.length < 2)) return;
  const container = data[top];
  if (collections.has(top) && entry !== undefined && isRecord(container)) {
    const item = container[entry];
    if (field !== undefined && top !== 'checks' && isRecord(item)) delete item[field];
    // A role with problems stays declared (empty), so hosts and selectors naming it raise no second error.
    else if (top === 'roles') container[entry] = {};
    else delete container[entry];
    return;
  }
  if (top === 'defaults' && entry !== undefined && isRecord(container)) {
    delete container[entry];
    return;
  }
  delete data[top];
  broken.add(top);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
