/**
 * Which key a name may be signed with, given what the CA signed before (certmaster had no
 * such rule, so anyone who could reach it could take over a host's name):
 * - a name with a certificate that is not revoked (active, expired or renewed) keeps its key:
 *   a request with another key is refused until that certificate is revoked;
 * - a revoked key never comes back: a request with a key once revoked for that name is refused;
 * - one key is one identity: a key signed for another name (or kind) is refused for this one;
 * - the same key again is a renewal.
 */
import { CsrRefusedError } from './errors.js';
import { shortDigest } from './names.js';
import type { CaIndex, CertKind } from './records.js';

/** Throws a CsrRefusedError when `spki` may not be signed for `kind` `name` (see the header). */
export function checkKeyRules(index: CaIndex, kind: CertKind, name: string, spki: string): void {
  const records = index.certificates.filter((record) => record.kind === kind && record.name === name);
  const revoked = records.find((record) => record.revokedAt !== undefined && record.spki === spki);
  const flag = kind === 'agent' ? '' : ` --${kind}`;
  if (revoked) {
    throw new CsrRefusedError(`CSR for ${name} uses the key ${shortDigest(spki)}, revoked on ${revoked.revokedAt}: a revoked key is never signed again; make a new key${kind === 'agent' ? ` on ${name} (remove agent.key, then muster agent enroll)` : ''}`);
  }
  const elsewhere = index.certificates.find((record) => record.spki === spki && !(record.kind === kind && record.name === name));
  if (elsewhere) {
    throw new CsrRefusedError(`CSR for ${name} uses the key ${shortDigest(spki)}, already signed for ${elsewhere.kind} ${elsewhere.name}: every identity needs its own key`);
  }
  const kept = records.find((record) => record.revokedAt === undefined && record.spki !== spki);
  if (kept) {
    throw new CsrRefusedError(`CSR for ${name} does not match its signed key ${shortDigest(kept.spki)}; revoke ${name} first (muster ca revoke ${name}${flag})`);
  }
}
