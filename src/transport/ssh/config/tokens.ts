/**
 * OpenSSH's `%` tokens, `${VAR}` and `~` (misc.c `percent_expand`, `tilde_expand`), and the
 * token sets each keyword takes in 9.2. An unknown token, a lone `%` at the end or an unset
 * `${VAR}` makes `ssh` give up; here they are a `TokenError` the caller words with file:line.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MusterError } from '../../../core/errors.js';
import { isBareWord } from '../../../core/shell.js';

/** A token, variable or `~user` that cannot be expanded; one line, without a stack. */
export class TokenError extends MusterError {
  override name = 'TokenError';
}

/** Token letter → its value; only the letters a keyword accepts are present. */
export type Tokens = Readonly<Record<string, string>>;

/**
 * Replaces `%x` by `tokens[x]` and `%%` by `%`; with `dollar`, `${VAR}` by the environment's
 * value. `check` sees each substituted value first. Throws TokenError for what `ssh` refuses.
 */
export function percentExpand(
  text: string,
  tokens: Tokens,
  options: { dollar?: boolean; env?: NodeJS.ProcessEnv; check?: (letter: string, value: string) => void } = {},
): string {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (options.dollar === true && char === '$' && text.charAt(index + 1) === '{') {
      const end = text.indexOf('}', index + 2);
      if (end === -1) throw new TokenError(`environment variable in '${text}' is missing its closing '}'`);
      const name = text.slice(index + 2, end);
      if (name === '') throw new TokenError(`zero-length environment variable in '${text}'`);
      const value = (options.env ?? process.env)[name];
      if (value === undefined) throw new TokenError(`environment variable \${${name}} in '${text}' has no value`);
      out += value;
      index = end;
      continue;
    }
    if (char !== '%') {
      out += char;
      continue;
    }
    const letter = text.charAt(++index);
    if (letter === '%') out += '%';
    else if (letter === '') throw new TokenError(`'${text}' ends with a lone %`);
    else if (tokens[letter] !== undefined) {
      options.check?.(letter, tokens[letter]);
      out += tokens[letter];
    } else throw new TokenError(`unknown token %${letter} in '${text}'`);
  }
  return out;
}

/**
 * `tilde_expand`: `~` and `~/x` under `home`, `~user/x` under that user's home (from
 * /etc/passwd); anything else as it is.
 */
export function tildeExpand(path: string, home: string): string {
  if (!path.startsWith('~')) return path;
  const slash = path.indexOf('/');
  const user = path.slice(1, slash === -1 ? undefined : slash);
  const tail = slash === -1 ? '' : path.slice(slash + 1).replace(/^\/+/, '');
  const dir = user === '' ? home : passwdHome(user);
  if (dir === undefined) throw new TokenError(`no such user ${user} in '${path}'`);
  return tail === '' ? dir : `${dir.replace(/\/$/, '')}/${tail}`;
}

function passwdHome(user: string): string | undefined {
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  return text.split('\n').map((line) => line.split(':')).find((fields) => fields[0] === user)?.[5];
}

/** The facts the client tokens are made of, for one connection. */
export interface ConnectionFacts {
  /** %h: the host connected to (HostName applied, lowercased). */
  host: string;
  /** %n: the name as given (the inventory name). */
  original: string;
  port: number;
  /** %r: the remote user. */
  user: string;
  /** %u, %d, %i: the local user, its home, its uid. */
  localUser: string;
  home: string;
  uid: number;
  /** %l: this machine's host name (%L: up to the first dot). */
  thisHost: string;
  /** %k: HostKeyAlias, else the name as given (IdentityFile) or the host (Match exec). */
  keyAlias: string;
}

/** %C: SHA-1 of %l%h%p%r in hex, OpenSSH's connection hash. */
export function connectionHash(facts: ConnectionFacts): string {
  return createHash('sha1').update(`${facts.thisHost}${facts.host}${facts.port}${facts.user}`).digest('hex');
}

/** The tokens of IdentityFile, UserKnownHostsFile (and Match exec), DEFAULT_CLIENT_PERCENT_EXPAND_ARGS in 9.2. */
export function clientTokens(facts: ConnectionFacts): Tokens {
  return {
    C: connectionHash(facts),
    L: facts.thisHost.split('.')[0] ?? facts.thisHost,
    i: String(facts.uid),
    k: facts.keyAlias,
    l: facts.thisHost,
    n: facts.original,
    p: String(facts.port),
    d: facts.home,
    h: facts.host,
    r: facts.user,
    u: facts.localUser,
  };
}

/**
 * `percentExpand` for text a shell will run (ProxyCommand, Match exec). OpenSSH pastes the
 * values in as they are; muster does too, so the command is the one `ssh` runs, but refuses a
 * value that could add shell syntax: quoting cannot be made safe when the token already sits
 * inside the user's own quotes (`sh -c "exec nc %h %p"`).
 */
export function expandForShell(text: string, tokens: Tokens): string {
  return percentExpand(text, tokens, {
    check: (letter, value) => {
      if (value !== '' && !isBareWord(value)) throw new TokenError(`%${letter} is ${JSON.stringify(value)}, which has characters a shell command cannot safely be given`);
    },
  });
}
