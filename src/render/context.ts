/**
 * What a template sees of the inventory: plain, own-property objects built once
 * per inventory (so rendering a command per host for 10,000 hosts does not
 * rebuild 10,000 views each time), plus a hidden link back to the inventory for
 * the `select` filter.
 */
import { select } from '../inventory/index.js';
import type { Host, Inventory, VarValue } from '../inventory/types.js';

/**
 * A resolved host as templates see it. Every var is also a field of its own
 * (`{{ host.http_port }}`), except where it collides with a fixed field: the
 * fixed field wins, and the var stays reachable as `host.vars.NAME`.
 */
export interface HostView {
  [key: string]: VarValue | string[] | undefined;
  name: string;
  address: string;
  /** `null` when the inventory sets none (ssh_config or the current user decide). */
  user: string | null;
  /** `null` when the inventory sets none. */
  port: number | null;
  roles: string[];
  state: string;
  /** `null` when the host has no note. */
  note: string | null;
  vars: Record<string, VarValue>;
}

/** A role as templates see it: its own vars, and every host that lists it (all states, file order). */
export interface RoleView {
  name: string;
  description: string | null;
  vars: Record<string, VarValue>;
  hosts: HostView[];
}

/** A named group: its selector, and the hosts it selects (skip_states dropped, as on the command line). */
export interface GroupView {
  name: string;
  selector: string;
  hosts: HostView[];
}

/** The root scope of a template. */
export interface TemplateContext {
  [key: string]: unknown;
  /** Host name → resolved host, every host in every state. */
  hosts: Record<string, HostView>;
  /** Every host, in file order, every state (a list, for `{% for %}`). */
  host_list: HostView[];
  roles: Record<string, RoleView>;
  groups: Record<string, GroupView>;
  /** States in declared order; the first is the default. */
  states: string[];
  /** The host being rendered, when rendering per host. */
  host?: HostView;
}

// The inventory a context was built from, kept out of sight of templates under a
// symbol (Liquid's lookups are by string) for the `select` filter.
const hidden = Symbol('muster.render.context');

/**
 * How the `select` filter picks hosts. By default the inventory layer's `select`;
 * a caller may pass its own (e.g. to pick among an already selected set).
 */
export type Selector = (selectors: string[], options: { allStates: boolean }) => Host[];

interface Hidden {
  views: Map<Host, HostView>;
  selector: Selector;
}

function selectHosts(inventory: Inventory, selectors: string[], allStates: boolean): Host[] {
  return select(inventory, selectors, { allStates }).hosts;
}

const cache = new WeakMap<Inventory, { base: TemplateContext; views: Map<Host, HostView> }>();

/** The view of one host: fixed fields over its vars; it prints as the host's name. */
export function hostView(host: Host): HostView {
  const view: HostView = {
    ...host.vars,
    name: host.name,
    address: host.address,
    user: host.user ?? null,
    port: host.port ?? null,
    roles: host.roles,
    state: host.state,
    note: host.note ?? null,
    vars: host.vars,
  };
  // `{{ host }}` prints the name (not "[object Object]"); hidden from to_json and loops.
  Object.defineProperty(view, 'toString', { value: () => host.name, enumerable: false });
  return view;
}

/**
 * The context a template is rendered with: `hosts`, `host_list`, `roles`, `groups`,
 * `states`, and `host` when `host` is given. Built once per inventory and shared,
 * so templates must not be given a way to mutate it (Liquid has none).
 * `selector` replaces how the `select` filter picks hosts (default: the
 * inventory's `select`, skip_states dropped unless `| select: true`).
 */
export function templateContext(inventory: Inventory, host?: Host, selector?: Selector): TemplateContext {
  let entry = cache.get(inventory);
  if (!entry) {
    entry = build(inventory);
    cache.set(inventory, entry);
  }
  const secret: Hidden = { views: entry.views, selector: selector ?? ((selectors, options) => selectHosts(inventory, selectors, options.allStates)) };
  const context: TemplateContext = { ...entry.base };
  if (host) context.host = entry.views.get(host) ?? hostView(host);
  Object.defineProperty(context, hidden, { value: secret, enumerable: false });
  return context;
}

/**
 * The context for rendering one host's file or command: `templateContext` with
 * `host`, and the host's fields also at the top level (`{{ address }}`,
 * `{{ http_port }}`). A var named like a context key (`hosts`, `host_list`,
 * `roles`, `groups`, `states`, `host`) does not hide it: the context key wins.
 */
export function hostTemplateContext(inventory: Inventory, host: Host, selector?: Selector): TemplateContext {
  const base = templateContext(inventory, host, selector);
  const context = { ...base.host, ...base } as TemplateContext;
  Object.defineProperty(context, hidden, { value: (base as { [hidden]?: Hidden })[hidden], enumerable: false });
  return context;
}

/**
 * A context with more names in it (a generator's prepared data, a runbook's
 * values), keeping what the `select` filter needs. `values` win over the context.
 */
export function withValues(context: TemplateContext, values: Record<string, unknown>): TemplateContext {
  const extended = { ...context, ...values } as TemplateContext;
  Object.defineProperty(extended, hidden, { value: (context as { [hidden]?: Hidden })[hidden], enumerable: false });
  return extended;
}

/** Picks hosts for the `select` filter, through the selector the context was built with. */
export function selectViews(context: object, selectors: string[], allStates: boolean): HostView[] {
  const secret = (context as { [hidden]?: Hidden })[hidden];
  if (!secret) throw new Error('select: the template context was not built by templateContext()');
  return secret.selector(selectors, { allStates }).map((host) => secret.views.get(host) ?? hostView(host));
}

function build(inventory: Inventory): { base: TemplateContext; views: Map<Host, HostView> } {
  const views = new Map<Host, HostView>();
  const hosts: Record<string, HostView> = {};
  const hostList: HostView[] = [];
  const byRole = new Map<string, HostView[]>();
  for (const host of inventory.hosts) {
    const view = hostView(host);
    views.set(host, view);
    hosts[host.name] = view;
    hostList.push(view);
    for (const role of host.roles) {
      let list = byRole.get(role);
      if (!list) byRole.set(role, (list = []));
      list.push(view);
    }
  }
  const roles: Record<string, RoleView> = {};
  for (const role of inventory.roles.values()) {
    roles[role.name] = { name: role.name, description: role.description ?? null, vars: role.vars, hosts: byRole.get(role.name) ?? [] };
  }
  const groups: Record<string, GroupView> = {};
  for (const group of inventory.groups.values()) {
    let picked: HostView[] | undefined;
    // Lazy: most templates never look at groups, and selecting costs a pass over the fleet.
    Object.defineProperty(groups, group.name, {
      enumerable: true,
      get: () => ({
        name: group.name,
        selector: group.selector,
        get hosts(): HostView[] {
          picked ??= selectHosts(inventory, [group.selector], false).map((host) => views.get(host) ?? hostView(host));
          return picked;
        },
      }),
    });
  }
  return { base: { hosts, host_list: hostList, roles, groups, states: inventory.states }, views };
}
