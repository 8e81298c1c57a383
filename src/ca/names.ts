/**
 * Names the CA signs and the subjects it writes. A name becomes a certificate CN, a file name
 * (`agents/NAME.crt`), an openssl `-subj` value and a nats-server user, so only a conservative
 * character set is accepted: a name that needs escaping anywhere is refused everywhere.
 */
import type { CertKind } from './records.js';
import { CaError } from './errors.js';

/** Letters, digits, `.`, `_`, `-`; starting with a letter or digit (never `.`/`..`); at most 253. */
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** Whether `name` can be a CA-signed name (host or operator). */
export function isCaName(name: string): boolean {
  return namePattern.test(name);
}

/** Throws a one-line CaError when `name` is not a CA name; `what` is `host` or `operator`. */
export function checkCaName(name: string, what: string): void {
  if (!isCaName(name)) {
    throw new CaError(`Invalid ${what} name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-", starting with a letter or digit`);
  }
}

/** The subject the CA writes, in openssl's `-subj` form: `/O=muster/OU=agent/CN=web01`. */
export function subjectOf(kind: CertKind | 'broker', name: string): string {
  return `/O=muster/OU=${kind}/CN=${name}`;
}

/**
 * An attribute value of a DN as Go's `pkix.Name.String()` writes it (nats-server compares
 * with that): `,+"\<>;` escaped with a backslash, and `#` or a space at the start, a space at
 * the end. A CA name never needs it (isCaName); a name from elsewhere still maps right.
 */
export function distinguishedValue(value: string): string {
  const chars = [...value];
  return chars.map((char, at) => {
    const escape = ',+"\\<>;'.includes(char) || (char === ' ' && (at === 0 || at === chars.length - 1)) || (char === '#' && at === 0);
    return escape ? `\\${char}` : char;
  }).join('');
}

/**
 * The same subject in RFC 2253 order, as nats-server's `verify_and_map` names the user:
 * `CN=web01,OU=agent,O=muster`. The one DN builder: the broker's users are named by it too.
 */
export function userNameOf(kind: CertKind | 'broker', name: string): string {
  return `CN=${distinguishedValue(name)},OU=${kind},O=muster`;
}

/** `sha256:ab12cd34ef56…`: a digest short enough for a message, long enough to compare by eye. */
export function shortDigest(hex: string): string {
  return `sha256:${hex.slice(0, 16)}…`;
}
