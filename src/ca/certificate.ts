/**
 * Reading a certificate the CA signed into its index record, and the status of a record.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { CertKind, CertRecord } from './records.js';
import { spkiDigest } from './keys.js';

/** A record's state now: `active` may connect; the others may not. */
export type CertStatus = 'active' | 'revoked' | 'superseded' | 'expired' | 'not-yet-valid';

/** A record with its status (what `ca list` and `ca show` give). */
export type CertView = CertRecord & { status: CertStatus };

/** sha256 of a certificate (DER), lowercase hex. */
export function fingerprintOf(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** The index record of certificate `pem` (kind and name as signed; `path` where it is kept). */
export function recordOf(kind: CertKind, name: string, pem: string, path: string, signedAt: Date = new Date()): CertRecord {
  const cert = new X509Certificate(pem);
  return {
    kind,
    name,
    serial: cert.serialNumber.toLowerCase(),
    fingerprint: fingerprintOf(cert),
    spki: spkiDigest(cert.publicKey),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    signedAt: signedAt.toISOString(),
    path,
  };
}

/** The status of `record` at `now`: revoked first, then superseded (renewed), then its validity. */
export function certificateStatus(record: CertRecord, now: Date = new Date()): CertStatus {
  if (record.revokedAt !== undefined) return 'revoked';
  if (record.supersededAt !== undefined) return 'superseded';
  const time = now.getTime();
  if (time < Date.parse(record.notBefore)) return 'not-yet-valid';
  if (time >= Date.parse(record.notAfter)) return 'expired';
  return 'active';
}

/** The record with its status. */
export function viewOf(record: CertRecord, now: Date = new Date()): CertView {
  return { ...record, status: certificateStatus(record, now) };
}
