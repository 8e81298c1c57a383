/**
 * What the fleet CA's own validity allows: nothing is signed with a CA that has ended (openssl
 * would be asked for a certificate ending before it starts) or that ends within a day (what it
 * signed would be expired, or nearly, on arrival), and whatever is signed ends with the CA at
 * the latest (a certificate cannot outlive its issuer).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CaError } from './errors.js';
import { validityWindow, type ValidityOptions } from './issue.js';
import { caPaths } from './paths.js';

/** Less than this left of the CA, and it signs nothing more. */
export const minCaLeftMs = 86_400_000;

/** Throws a one-line CaError when a CA ending at `caEnd` may not sign at `now` (see the header). */
export function checkCaLifetime(caEnd: Date, now: Date = new Date()): void {
  const end = caEnd.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (caEnd.getTime() <= now.getTime()) {
    throw new CaError(`The fleet CA expired on ${end}; make a new one (muster ca init in a new state folder)`);
  }
  if (caEnd.getTime() - now.getTime() < minCaLeftMs) {
    throw new CaError(`The fleet CA ends on ${end}, in less than a day, so it signs nothing more; make a new one (muster ca init in a new state folder)`);
  }
}

/** When the CA certificate at `path` ends. */
export async function caEndOf(path: string): Promise<Date> {
  return new Date(new X509Certificate(await readFile(path, 'utf8')).validTo);
}

/**
 * The validity window `options` asks for (validityWindow), ending no later than the CA of
 * `stateDir`; a CaError when that CA may not sign now (checkCaLifetime). Call it under the CA's lock.
 */
export async function clampedWindow(stateDir: string, options: ValidityOptions, defaultDays: number, now: Date = new Date()): Promise<{ notBefore: Date; notAfter: Date }> {
  const caEnd = await caEndOf(caPaths(stateDir).cert);
  checkCaLifetime(caEnd, now);
  const window = validityWindow(options, defaultDays, now);
  return window.notAfter.getTime() > caEnd.getTime() ? { ...window, notAfter: caEnd } : window;
}
