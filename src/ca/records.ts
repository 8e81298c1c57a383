/**
 * What the fleet CA has signed (`STATE/ca/index.json`): one record per certificate, kept
 * after revocation so a revoked name cannot quietly come back with another key. The broker
 * maps every active record to a user; the CA writes the file (locked, atomically).
 */
import { readFile } from 'node:fs/promises';
import { MusterError } from '../core/errors.js';
import { caPaths } from './paths.js';

/**
 * `agent`: one host; `operator`: a person or tool calling agents; `join`: a credential new
 * hosts share to ask to join (it may only file a request and read its answer: docs/join.md).
 */
export type CertKind = 'agent' | 'operator' | 'join';

/** One signed certificate. Times are ISO 8601 strings (JSON-able). */
export interface CertRecord {
  kind: CertKind;
  /** The inventory host name (agents) or the operator name: the certificate's CN. */
  name: string;
  /** Serial number, hex. */
  serial: string;
  /** sha256 of the certificate (DER), lowercase hex: what `ca show` prints and a user compares. */
  fingerprint: string;
  /** sha256 of the SubjectPublicKeyInfo (DER), lowercase hex: nats-server's `pinned_certs` entry. */
  spki: string;
  notBefore: string;
  notAfter: string;
  signedAt: string;
  /** Set once revoked; the record stays. */
  revokedAt?: string;
  /**
   * Set when a newer certificate for the same name and key replaced this one (renewal). It is
   * no longer listed as active, but it still connects until it expires: same key (pinned for
   * the newer one) and same subject (the same user). Revoke the name to cut it off.
   */
  supersededAt?: string;
  /** The certificate file, absolute. */
  path: string;
}

/** The index file's content. */
export interface CaIndex {
  version: 1;
  certificates: CertRecord[];
}

/**
 * Reads the index; an absent index (no CA yet, or nothing signed) is empty. One that is not
 * JSON (edited by hand) is a one-line MusterError, not a crash.
 */
export async function readIndex(stateDir: string): Promise<CaIndex> {
  const path = caPaths(stateDir).index;
  try {
    const index = JSON.parse(await readFile(path, 'utf8')) as CaIndex;
    if (index?.version !== 1 || !Array.isArray(index.certificates)) throw new MusterError(`Cannot read ${path}: not a muster CA index (version 1 with certificates)`);
    return index;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, certificates: [] };
    if (error instanceof SyntaxError) throw new MusterError(`Cannot read ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * The certificates that may connect now: not revoked, not superseded by a renewal, and inside
 * their validity. At most one per kind and name, so the broker maps each identity to one user.
 */
export function activeCertificates(index: CaIndex, now: Date = new Date()): CertRecord[] {
  const time = now.getTime();
  return index.certificates.filter((record) =>
    record.revokedAt === undefined && record.supersededAt === undefined &&
    Date.parse(record.notBefore) <= time && time < Date.parse(record.notAfter));
}
