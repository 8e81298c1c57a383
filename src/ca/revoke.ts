/**
 * Revocation: the record stays in the index with `revokedAt`, so the broker drops the user and
 * its pin at the next refresh, and the key can never be signed again (keyRules.ts). Every
 * certificate of the name that is not revoked yet is revoked, renewed ones too: they share the key.
 */
import { NotFoundError } from '../core/errors.js';
import { CaError } from './errors.js';
import { withCaIndex } from './indexWriter.js';
import type { CertKind, CertRecord } from './records.js';

/**
 * Marks every not yet revoked certificate of `kind` `name` revoked now; resolves with those
 * records. A NotFoundError when the CA never signed that name; a CaError when all of its
 * certificates are revoked already.
 */
export async function revokeCertificate(stateDir: string, kind: CertKind, name: string): Promise<CertRecord[]> {
  return withCaIndex(stateDir, async (index) => {
    const records = index.certificates.filter((record) => record.kind === kind && record.name === name);
    if (records.length === 0) {
      throw new NotFoundError(`${kind} certificate`, name, kind === 'agent' ? 'muster ca list shows what was signed (an operator? add --operator)' : 'muster ca list shows what was signed');
    }
    const live = records.filter((record) => record.revokedAt === undefined);
    if (live.length === 0) throw new CaError(`${kind} ${name} is revoked already (on ${records[records.length - 1]?.revokedAt})`);
    const now = new Date().toISOString();
    for (const record of live) record.revokedAt = now;
    return live;
  });
}
