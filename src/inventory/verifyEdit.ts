/**
 * The safety net of `muster set`, and its account of what changed: the edited
 * inventory is compared host by host with the old one, and the changes are
 * told as lines of folded hosts, old value → new.
 */
import { isDeepStrictEqual } from 'node:util';
import { MusterError } from '../core/errors.js';
import { fieldLabel, type Edit, type EditField } from './editArgs.js';
import type { Host, Inventory, VarValue } from './types.js';

/** One line of what changed: these hosts had `old` and now have `new` (undefined: unset). */
export interface EditChange {
  field: string;
  hosts: string[];
  old?: VarValue;
  new?: VarValue;
}

/** What a host looks like for the comparison below: every field, and the vars minus `ignored`. */
function viewOf(host: { address: string; user?: string | undefined; port?: number | undefined; roles: string[]; state: string; note?: string | undefined; vars: Record<string, VarValue> }, ignored: Set<string>): Record<string, unknown> {
  const vars = Object.fromEntries(Object.entries(host.vars).filter(([key]) => !ignored.has(key)));
  return { address: host.address, user: host.user, port: host.port, roles: host.roles, state: host.state, note: host.note, vars };
}

/** The view a selected host should have once the edits are applied, and the vars whose new value is not predicted. */
function expectedView(host: Host, edits: Edit[], defaultState: string): { view: Record<string, unknown>; ignored: Set<string> } {
  let { state, note } = host;
  const vars: Record<string, VarValue> = { ...host.vars };
  const ignored = new Set<string>();
  for (const { target, value } of edits) {
    if (target.field === 'state') state = value === undefined ? defaultState : String(value);
    else if (target.field === 'note') note = value === undefined ? undefined : String(value);
    else if (value === undefined) ignored.add(target.key);
    else Object.defineProperty(vars, target.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { view: viewOf({ ...host, state, note, vars }, ignored), ignored };
}

/**
 * The safety net: the edited inventory must hold the same hosts, each equal
 * to what it was except for the intended change on the selected ones. (A var
 * that is unset falls back to a role's or the defaults' value, which is not
 * predicted here; that one key is left out of the comparison.) Throws a
 * `MusterError` naming up to five differences.
 */
export function verifyEdit(before: Inventory, after: Inventory, targets: Set<string>, edits: Edit[]): void {
  const problems: string[] = [];
  if (after.hosts.length !== before.hosts.length) problems.push(`it would hold ${after.hosts.length} hosts instead of ${before.hosts.length}`);
  for (const host of before.hosts) {
    const now = after.hostsByName.get(host.name);
    if (!now) {
      problems.push(`host ${host.name} would disappear`);
    } else {
      const want = targets.has(host.name) ? expectedView(host, edits, before.states[0] ?? 'ok') : { view: viewOf(host, new Set()), ignored: new Set<string>() };
      if (!isDeepStrictEqual(viewOf(now, want.ignored), want.view)) problems.push(`host ${host.name} would change in more than the edit`);
    }
    if (problems.length >= 5) break;
  }
  if (problems.length > 0) throw new MusterError(`Refusing the edit: it would not do exactly what was asked (nothing was written): ${problems.join('; ')}. Shared YAML (anchors, aliases) can cause this; otherwise it is a bug in muster set, please report it with the inventory`);
}

/**
 * What the edits changed, per edit: the selected hosts `names` grouped by
 * their (old, new) value, in the order given.
 */
export function describeChanges(before: Inventory, after: Inventory, names: string[], edits: Edit[]): EditChange[] {
  const changes: EditChange[] = [];
  for (const edit of edits) {
    const field = fieldLabel(edit.target);
    const groups = new Map<string, EditChange>();
    for (const name of names) {
      const old = fieldValue(before.hostsByName.get(name), edit.target);
      const now = fieldValue(after.hostsByName.get(name), edit.target);
      const key = JSON.stringify([old ?? null, old === undefined, now ?? null, now === undefined]);
      let group = groups.get(key);
      if (!group) {
        group = { field, hosts: [] };
        if (old !== undefined) group.old = old;
        if (now !== undefined) group.new = now;
        groups.set(key, group);
      }
      group.hosts.push(name);
    }
    changes.push(...groups.values());
  }
  return changes;
}

function fieldValue(host: Host | undefined, target: EditField): VarValue | undefined {
  if (!host) return undefined;
  if (target.field === 'vars') return Object.hasOwn(host.vars, target.key) ? host.vars[target.key] : undefined;
  return host[target.field];
}
