/**
 * The token, for a browser. A browser cannot send `Authorization: Bearer`
 * from a link, so the login form takes the token once (POST: never in a URL,
 * so never in the access log or the history) and sets a cookie. The cookie
 * is not the token: it is an HMAC of a fixed label keyed by the token, so a
 * cookie read off a disk says nothing of the API token, survives a server
 * restart, and stops working when the token changes. HttpOnly (no script
 * reads it), SameSite=Strict (no other site's page sends it), Path=/ui,
 * Secure when served over TLS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BearerToken } from '../bearerToken.js';

export const cookieName = 'muster_ui';

function sessionValue(token: string): Buffer {
  return createHmac('sha256', token).update('muster serve --ui session v1').digest();
}

/** What a request may show to be let in: the cookie, or the API's own bearer header (curl, scripts). */
export class UiSession {
  readonly #cookie: Buffer;
  readonly #bearer: BearerToken;
  readonly #secure: boolean;

  constructor(token: string, secure: boolean) {
    this.#cookie = sessionValue(token);
    this.#bearer = new BearerToken(token);
    this.#secure = secure;
  }

  /** Whether the request's Cookie or Authorization header lets it in. */
  accepts(cookieHeader: string | undefined, authorization: string | undefined): boolean {
    if (this.#bearer.accepts(authorization)) return true;
    const value = readCookie(cookieHeader, cookieName);
    if (value === undefined) return false;
    const given = Buffer.from(value, 'base64url');
    return given.length === this.#cookie.length && timingSafeEqual(given, this.#cookie);
  }

  /** Whether `token`, typed in the login form, is the token (constant time, as the API compares). */
  matches(token: string): boolean {
    return this.#bearer.accepts(`Bearer ${token}`);
  }

  /** The Set-Cookie header after a good login. */
  setCookie(): string {
    return `${cookieName}=${this.#cookie.toString('base64url')}; Path=/ui; HttpOnly; SameSite=Strict${this.#secure ? '; Secure' : ''}`;
  }

  /** The Set-Cookie header of a logout. */
  clearCookie(): string {
    return `${cookieName}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0${this.#secure ? '; Secure' : ''}`;
  }
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) return pair.slice(equals + 1).trim();
  }
  return undefined;
}

/** The `token` field of an application/x-www-form-urlencoded body, or undefined. */
export function formField(body: Buffer | undefined, name: string): string | undefined {
  if (!body) return undefined;
  const value = new URLSearchParams(body.toString('utf8')).get(name);
  return value === null ? undefined : value;
}
