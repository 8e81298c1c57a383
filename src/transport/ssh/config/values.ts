/**
 * The values of the keywords muster uses, parsed and checked as OpenSSH 9.2's readconf.c
 * does: the same accepted spellings, the same refusals (which `ssh` makes for a line whether
 * or not it applies to the host), and `Match` criteria cut and checked. Keywords muster does
 * not use are not checked beyond being known (see docs/ssh-config.md).
 */
import { readFileSync } from 'node:fs';
import type { UsedKeyword } from './keywords.js';
import type { Word } from './lexer.js';

/** What is wrong with a line; `at` is a 0-based offset in the line when it points at a word. */
export interface ValueProblem {
  message: string;
  at?: number;
}

/** `Match` criteria OpenSSH 9.2 knows; `all`, `canonical` and `final` take no argument. */
export type MatchAttribute = 'all' | 'canonical' | 'final' | 'host' | 'originalhost' | 'user' | 'localuser' | 'exec';

export interface MatchCriterion {
  attribute: MatchAttribute;
  negated: boolean;
  /** The pattern list or command (undefined for all/canonical/final). */
  arg?: string;
}

const FLAGS: Readonly<Record<string, boolean>> = { yes: true, true: true, no: false, false: false };

/** `StrictHostKeyChecking`'s spellings and what each means (`ask` is its own state in OpenSSH). */
const STRICT: Readonly<Record<string, 'yes' | 'ask' | 'accept-new' | 'no'>> = {
  yes: 'yes', true: 'yes', ask: 'ask', 'accept-new': 'accept-new', no: 'no', off: 'no', false: 'no',
};

const CANONICALIZE = new Set(['yes', 'true', 'no', 'false', 'always']);

/** `yes`/`no`/`true`/`false`, any case; undefined for anything else. */
export function parseFlag(value: string): boolean | undefined {
  return FLAGS[value.toLowerCase()];
}

export function parseStrict(value: string): 'yes' | 'ask' | 'accept-new' | 'no' | undefined {
  return STRICT[value.toLowerCase()];
}

let services: Map<string, number> | undefined;

/** `a2port`: 0-65535 as digits, else a tcp service name from /etc/services; -1 when neither. */
export function parsePort(value: string): number {
  if (/^\d+$/.test(value)) return Number(value) <= 65535 ? Number(value) : -1;
  if (services === undefined) {
    services = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/services', 'utf8');
    } catch {
      // No services database: only numeric ports, as getservbyname(3) would have it.
    }
    for (const line of text.split('\n')) {
      const [entry = ''] = line.split('#');
      const [name, portProto, ...aliases] = entry.trim().split(/\s+/);
      const match = /^(\d+)\/tcp$/.exec(portProto ?? '');
      if (name === undefined || name === '' || match === null) continue;
      for (const alias of [name, ...aliases]) if (!services.has(alias)) services.set(alias, Number(match[1]));
    }
  }
  return services.get(value) ?? -1;
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `convtime`: `90`, `1m30s`, `2h` … in seconds; -1 when malformed. */
export function parseTime(value: string): number {
  if (value === '') return -1;
  let total = 0;
  for (const part of value.matchAll(/(\d+)([smhdwSMHDW]?)|(.)/g)) {
    if (part[3] !== undefined) return -1;
    total += Number(part[1]) * (TIME_UNITS[(part[2] ?? '').toLowerCase()] ?? 1);
  }
  return total > 2_147_483_647 ? -1 : total;
}

/** One ProxyJump hop, `[user@]host[:port]` or `ssh://[user@]host[:port]`. */
export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/** Parses one hop as parse_ssh_uri/parse_user_host_port do; undefined when `ssh` would refuse it. */
export function parseHop(spec: string): JumpHop | undefined {
  const body = spec.startsWith('ssh://') ? spec.slice(6).replace(/\/$/, '') : spec;
  const at = body.lastIndexOf('@');
  const user = at === -1 ? undefined : body.slice(0, at);
  if (user === '') return undefined;
  const match = /^(\[[^\]]+\]|[^:[\]\s]+)(?::(.*))?$/.exec(body.slice(at + 1));
  if (match === null) return undefined;
  const hop: JumpHop = { host: (match[1] ?? '').replace(/^\[|\]$/g, '') };
  if (user !== undefined) hop.user = user;
  if (match[2] !== undefined && match[2] !== '') {
    const port = parsePort(match[2]);
    if (port <= 0) return undefined;
    hop.port = port;
  }
  return hop;
}

/** The ProxyJump text `parse_jump` reads: the rest of the line, cut at `#`, trimmed. */
export function jumpText(rest: string): string {
  return rest.replace(/^[\s=]+/, '').split('#')[0]?.trim() ?? '';
}

/** Checks one used keyword's arguments; undefined when `ssh` accepts the line. */
export function checkValue(name: UsedKeyword, args: readonly Word[], rest: string): ValueProblem | undefined {
  const [first, second] = args;
  const empty = args.find((arg) => arg.text === '');
  const single = (check?: (value: string) => string | undefined): ValueProblem | undefined => {
    if (first === undefined || first.text === '') return { message: `${name}: missing argument`, ...(first ? { at: first.at } : {}) };
    const problem = check?.(first.text);
    if (problem !== undefined) return { message: problem, at: first.at };
    if (second !== undefined) return { message: `keyword ${name} extra arguments at end of line`, at: second.at };
    return undefined;
  };
  switch (name) {
    case 'host':
    case 'include':
      return empty ? { message: `keyword ${name} empty argument`, at: empty.at } : undefined;
    case 'match':
    case 'proxycommand':
      return undefined;
    case 'hostname':
    case 'user':
    case 'hostkeyalias':
    case 'ignoreunknown':
    case 'identityfile':
      return single();
    case 'port':
      return single((value) => parsePort(value) <= 0 ? `Bad port '${value}'` : undefined);
    case 'identitiesonly':
      return single((value) => parseFlag(value) === undefined ? `unsupported option "${value}" for identitiesonly (yes or no)` : undefined);
    case 'stricthostkeychecking':
      return single((value) => parseStrict(value) === undefined
        ? `unsupported option "${value}" for stricthostkeychecking (yes, accept-new, no, off or ask)` : undefined);
    case 'canonicalizehostname':
      return single((value) => CANONICALIZE.has(value.toLowerCase()) ? undefined : `unsupported option "${value}" for canonicalizehostname`);
    case 'connecttimeout':
      return single((value) => value !== 'none' && parseTime(value) === -1 ? `invalid time value '${value}' for connecttimeout` : undefined);
    case 'userknownhostsfile':
    case 'globalknownhostsfile': {
      if (empty) return { message: `keyword ${name} empty argument`, at: empty.at };
      const none = args.findIndex((arg) => arg.text.toLowerCase() === 'none');
      if (none !== -1 && args.length > 1) return { message: `keyword ${name} "none" argument must appear alone`, at: args[none]?.at ?? 0 };
      return undefined;
    }
    case 'proxyjump': {
      const text = jumpText(rest);
      if (text.toLowerCase() === 'none') return undefined;
      const bad = text.split(',').find((hop) => parseHop(hop) === undefined);
      return bad === undefined ? undefined : { message: `Invalid ProxyJump "${text}" (hop "${bad}")` };
    }
  }
}

/**
 * Cuts a `Match` line's text into criteria as `match_cfg_line` does, with `next` its word
 * cutter (OpenSSH's strdelim); a string is the reason `ssh` refuses the line.
 */
export function parseMatch(rest: string, next: (at: number) => { word: Word; next: number } | null): MatchCriterion[] | string {
  const criteria: MatchCriterion[] = [];
  let at = 0;
  const word = (): string | undefined => {
    if (at >= rest.length) return undefined;
    const cut = next(at);
    if (cut === null) return undefined;
    at = cut.next;
    return cut.word.text;
  };
  for (let raw = word(); raw !== undefined && raw !== ''; raw = word()) {
    if (raw.startsWith('#')) break;
    const negated = raw.startsWith('!');
    const attribute = (negated ? raw.slice(1) : raw).toLowerCase();
    if (attribute === 'all') {
      const after = word();
      if (criteria.length > 1 || (after !== undefined && after !== '' && !after.startsWith('#'))) {
        return `'${raw}' cannot be combined with other Match attributes`;
      }
      criteria.push({ attribute, negated });
      return criteria;
    }
    if (attribute === 'canonical' || attribute === 'final') {
      criteria.push({ attribute, negated });
      continue;
    }
    if (!['host', 'originalhost', 'user', 'localuser', 'exec'].includes(attribute)) return `Unsupported Match attribute ${raw}`;
    const arg = word();
    if (arg === undefined || arg === '' || arg.startsWith('#')) return `Missing Match criteria for ${raw}`;
    criteria.push({ attribute: attribute as MatchAttribute, negated, arg });
  }
  return criteria.length === 0 ? 'One or more attributes required for Match' : criteria;
}
