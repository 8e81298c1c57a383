/**
 * Which ssh_config values apply to one host, as OpenSSH 9.2's ssh.c and readconf.c decide:
 * the files in order, each line applying only while the last `Host`/`Match` matched, the
 * first value obtained winning (IdentityFile accumulates; ProxyJump and ProxyCommand are one
 * setting), an `Include` inheriting the state of the block it stands in without changing it.
 *
 * Two passes, as in ssh: the first matches `Host` against the name as given; then HostName is
 * applied (`%h`) and lowercased; when a `Match final` was seen, or CanonicalizeHostname is on,
 * a second pass runs in which `Host` and `Match host` see that final host name and
 * `Match canonical`/`final` are true. (muster does not do CanonicalizeHostname's DNS lookups.)
 */
import { isIP } from 'node:net';
import type { SourceLocation } from '../../../core/errors.js';
import { configError, type ConfigFile, type ConfigLine } from './configFile.js';
import { stepsOf } from './hostIndex.js';
import { matchHostLine, matchHostname, matchPatternList } from './patterns.js';
import { clientTokens, expandForShell, percentExpand, TokenError } from './tokens.js';
import { jumpText, parseFlag, parsePort, parseStrict, parseTime, type MatchCriterion } from './values.js';

/** A value and the line it came from. */
export interface Placed<T> {
  value: T;
  at: SourceLocation | undefined;
}

/** The values muster uses, as OpenSSH holds them before defaults and tokens: raw. */
export interface RawOptions {
  hostname?: Placed<string>;
  user?: string;
  port?: number;
  /** In order, duplicates dropped as `add_identity_file` drops them; may contain `none`. */
  identityFiles: Placed<string>[];
  identitiesOnly?: boolean;
  /** The rest of the line as written (quotes kept), or `none`. */
  proxyCommand?: Placed<string>;
  /** `[user@]host[:port]` hops, comma-separated, or `none`. */
  proxyJump?: string;
  userKnownHostsFiles?: Placed<string[]>;
  globalKnownHostsFiles?: string[];
  hostKeyAlias?: string;
  strictHostKeyChecking?: 'yes' | 'ask' | 'accept-new' | 'no';
  /** Seconds. */
  connectTimeout?: number;
  ignoreUnknown?: string;
  canonicalizeHostname?: string;
}

/** Who is asking, and how `Match exec` runs a command. */
export interface EvaluationContext {
  /** The name as given (`%n`, `Match originalhost`): the inventory name. */
  name: string;
  localUser: string;
  home: string;
  uid: number;
  thisHost: string;
  /** Runs `Match exec`'s command; its exit status, or null when it did not exit normally. */
  exec: (command: string) => number | null;
}

/** The result: the raw values and the host name connected to (HostName applied, lowercased). */
export interface Evaluated {
  options: RawOptions;
  host: string;
}

interface PassState {
  /** The host `Host` lines match: the name as given, then (final pass) the final host. */
  host: string;
  final: boolean;
  wantFinal: boolean;
}

/**
 * Evaluates `files` for `context.name`, starting from `commandLine` (`ssh -o` lines, first
 * obtained so first to win), then `preset` (the inventory's user, port, address) where the
 * command line set nothing: as `ssh -o … -l USER -p PORT -o HostName=ADDRESS` would.
 */
export function evaluateConfig(files: readonly ConfigFile[], context: EvaluationContext, preset: Partial<RawOptions> = {}, commandLine: readonly ConfigLine[] = []): Evaluated {
  const options: RawOptions = { identityFiles: [] };
  for (const line of commandLine) apply(line, options);
  if (preset.hostname !== undefined) options.hostname ??= preset.hostname;
  if (preset.user !== undefined) options.user ??= preset.user;
  if (preset.port !== undefined) options.port ??= preset.port;
  const first: PassState = { host: context.name, final: false, wantFinal: false };
  for (const file of files) walk(file.lines, options, context, first, { active: true }, false);
  let host = context.name;
  if (options.hostname !== undefined) {
    host = expandPlaced(options.hostname, (text) => percentExpand(text, { h: context.name }));
    options.hostname = { value: host, at: options.hostname.at };
  }
  // ssh lowercases a name (not an address) before connecting and before the final pass.
  if (isIP(host) === 0) host = host.toLowerCase();
  const canonicalize = ['yes', 'true', 'always'].includes(options.canonicalizeHostname?.toLowerCase() ?? 'no');
  if (first.wantFinal || canonicalize) {
    options.hostname = { value: host, at: options.hostname?.at };
    const final: PassState = { host, final: true, wantFinal: false };
    for (const file of files) walk(file.lines, options, context, final, { active: true }, false);
  }
  return { options, host };
}

/** Expands a placed value, turning a token error into the file:line error `ssh` would give. */
export function expandPlaced<T>(placed: Placed<T>, expand: (value: T) => string): string {
  try {
    return expand(placed.value);
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    const at = placed.at;
    if (at === undefined) throw new TokenError(error.message);
    throw configError(at.file, at.line, at.col, error.message);
  }
}

function walk(
  lines: readonly ConfigLine[],
  options: RawOptions,
  context: EvaluationContext,
  pass: PassState,
  state: { active: boolean },
  neverMatch: boolean,
): void {
  for (const step of stepsOf(lines)) {
    if (step.kind === 'blocks') {
      const hits = neverMatch ? [] : step.byName.get(pass.host) ?? [];
      for (const position of hits) for (const line of step.blocks[position]?.body ?? []) apply(line, options);
      state.active = hits.at(-1) === step.blocks.length - 1;
      continue;
    }
    const { line } = step;
    const { kind } = line;
    if (kind.kind === 'other') continue;
    if (kind.kind === 'unknown') {
      if (options.ignoreUnknown !== undefined && matchPatternList(line.keyword, options.ignoreUnknown, true) === 1) continue;
      throw configError(line.file, line.line, line.col, `Bad configuration option: ${line.keyword}`);
    }
    switch (kind.name) {
      case 'host':
        state.active = !neverMatch && matchHostLine(pass.host, line.args.map((arg) => arg.text));
        break;
      case 'match': {
        const matched = matchLine(line, options, context, pass);
        state.active = !neverMatch && matched;
        break;
      }
      case 'include': {
        const outer = state.active;
        for (const file of line.includes ?? []) {
          walk(file.lines, options, context, pass, state, neverMatch || !outer);
          // A Host or Match inside an included file ends with that file.
          state.active = outer;
        }
        break;
      }
      default:
        if (state.active) apply(line, options);
    }
  }
}

function apply(line: ConfigLine, options: RawOptions): void {
  if (line.kind.kind !== 'used') return;
  const name = line.kind.name;
  const value = line.args[0]?.text ?? '';
  const at: SourceLocation = { file: line.file, line: line.line, col: (line.args[0]?.at ?? line.col - 1) + 1 };
  switch (name) {
    case 'hostname':
      options.hostname ??= { value, at };
      break;
    case 'user':
      options.user ??= value;
      break;
    case 'port':
      options.port ??= parsePort(value);
      break;
    case 'hostkeyalias':
      options.hostKeyAlias ??= value;
      break;
    case 'ignoreunknown':
      options.ignoreUnknown ??= value;
      break;
    case 'canonicalizehostname':
      options.canonicalizeHostname ??= value;
      break;
    case 'identityfile':
      if (!options.identityFiles.some((file) => file.value === value)) options.identityFiles.push({ value, at });
      break;
    case 'identitiesonly':
      options.identitiesOnly ??= parseFlag(value) === true;
      break;
    case 'stricthostkeychecking':
      options.strictHostKeyChecking ??= parseStrict(value) ?? 'ask';
      break;
    case 'connecttimeout':
      // Values were checked when the file was read.
      // `none` leaves the value unset, so a later ConnectTimeout still applies (as in ssh).
      if (value !== 'none') options.connectTimeout ??= parseTime(value);
      break;
    case 'userknownhostsfile':
      options.userKnownHostsFiles ??= { value: line.args.map((arg) => arg.text), at };
      break;
    case 'globalknownhostsfile':
      options.globalKnownHostsFiles ??= line.args.map((arg) => arg.text);
      break;
    // ProxyJump and ProxyCommand are one setting: the first obtained wins, as Debian's 9.2 (with
    // the parse_jump of later releases) has it. A ProxyJump sets ProxyCommand to none, so no
    // later ProxyCommand applies; a ProxyCommand (`none` too) keeps any later ProxyJump out.
    // `ProxyJump none` only stops later ProxyJumps: a later ProxyCommand still applies.
    case 'proxycommand':
      options.proxyCommand ??= { value: line.rest.replace(/^[\s=]+/, ''), at };
      break;
    case 'proxyjump': {
      const text = jumpText(line.rest);
      if (text.toLowerCase() === 'none') {
        options.proxyJump ??= 'none';
      } else if (options.proxyJump === undefined && options.proxyCommand === undefined) {
        options.proxyJump = text;
        options.proxyCommand = { value: 'none', at };
      }
      break;
    }
  }
}

/** `match_cfg_line`: every criterion must hold; `exec` runs only while the others so far hold. */
function matchLine(line: ConfigLine, options: RawOptions, context: EvaluationContext, pass: PassState): boolean {
  const port = options.port ?? 22;
  const user = options.user ?? context.localUser;
  let host = pass.host;
  if (pass.final) host = options.hostname?.value ?? host;
  else if (options.hostname !== undefined) host = expandPlaced(options.hostname, (text) => percentExpand(text, { h: pass.host }));
  let result = true;
  const holds = (criterion: MatchCriterion, value: boolean): void => {
    if (value === criterion.negated) result = false;
  };
  for (const criterion of line.match ?? []) {
    const arg = criterion.arg ?? '';
    switch (criterion.attribute) {
      case 'all':
        return result && !criterion.negated;
      case 'canonical':
      case 'final':
        if (criterion.attribute === 'final' && !pass.final) pass.wantFinal = true;
        holds(criterion, pass.final);
        break;
      case 'host':
        holds(criterion, matchHostname(host, arg));
        break;
      case 'originalhost':
        holds(criterion, matchHostname(context.name, arg));
        break;
      case 'user':
        holds(criterion, matchPatternList(user, arg, false) === 1);
        break;
      case 'localuser':
        holds(criterion, matchPatternList(context.localUser, arg, false) === 1);
        break;
      case 'exec': {
        if (!result) break;
        const tokens = clientTokens({
          host, original: context.name, port, user, localUser: context.localUser, home: context.home,
          uid: context.uid, thisHost: context.thisHost, keyAlias: options.hostKeyAlias ?? host,
        });
        const command = expandPlaced({ value: arg, at: { file: line.file, line: line.line, col: line.col } }, (text) => expandForShell(text, tokens));
        const status = context.exec(command);
        if (status === null) throw configError(line.file, line.line, line.col, `match exec '${command}' did not exit normally`);
        holds(criterion, status === 0);
        break;
      }
    }
  }
  return result;
}
