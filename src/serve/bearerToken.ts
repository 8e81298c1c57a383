/** The bearer token a server may require (`Authorization: Bearer TOKEN`). */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A required token, kept as its SHA-256 only. */
export class BearerToken {
  readonly #expected: Buffer;

  constructor(token: string) {
    this.#expected = digest(token);
  }

  /**
   * Whether an Authorization header carries the token (scheme case-insensitive,
   * as RFC 7235 says). Both sides are hashed to the same length and then
   * compared in constant time, so the answer's timing says nothing about how
   * much of a guess was right, nor how long the token is.
   */
  accepts(header: string | undefined): boolean {
    if (typeof header !== 'string' || !/^Bearer /i.test(header)) return false;
    return timingSafeEqual(digest(header.slice(7).trim()), this.#expected);
  }
}
