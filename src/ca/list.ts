/**
 * Reading the CA's state: what is pending, what was signed and how each stands now.
 */
import { NotFoundError } from '../core/errors.js';
import { viewOf, type CertView } from './certificate.js';
import { requireCa } from './indexWriter.js';
import { checkCaName, userNameOf } from './names.js';
import { listPending, readPendingEntry, type PendingCsr } from './pending.js';
import { readIndex, type CertKind } from './records.js';

/** Everything `ca list` shows. */
export interface CaListing {
  pending: PendingCsr[];
  /** Every record of the index, in signing order, with its status now. */
  certificates: CertView[];
}

/** The pending CSRs and every signed certificate with its status at `now`; a CaError when there is no CA. */
export async function listCa(stateDir: string, now: Date = new Date()): Promise<CaListing> {
  await requireCa(stateDir);
  const [pending, index] = await Promise.all([listPending(stateDir), readIndex(stateDir)]);
  return { pending, certificates: index.certificates.map((record) => viewOf(record, now)) };
}

/** What `ca show` shows: the newest certificate of a name, its subject, and how many came before. */
export type CertificateDetails = CertView & {
  /** The subject as nats-server maps it to a user (RFC 2253): `CN=web01,OU=agent,O=muster`. */
  subject: string;
  /** Older certificates of the same name (renewed, revoked), newest first. */
  earlier: CertView[];
};

/**
 * The newest certificate of `kind` `name` (a CaError for a name the CA would not sign). A NotFoundError when there is none (saying so when
 * a CSR of that name is only pending).
 */
export async function showCertificate(stateDir: string, kind: CertKind, name: string, now: Date = new Date()): Promise<CertificateDetails> {
  // Before any file is named after it: `../x` would read a JSON file outside pending/.
  checkCaName(name, kind === 'agent' ? 'host' : kind === 'operator' ? 'operator' : 'join credential');
  await requireCa(stateDir);
  const index = await readIndex(stateDir);
  const records = index.certificates.filter((record) => record.kind === kind && record.name === name).map((record) => viewOf(record, now));
  const newest = records[records.length - 1];
  if (newest === undefined) {
    const pending = kind === 'agent' ? await readPendingEntry(stateDir, name).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }) : undefined;
    throw new NotFoundError(`${kind} certificate`, name, pending
      ? `its CSR is pending (muster ca sign ${name})`
      : kind === 'agent' ? 'muster ca list shows what was signed (an operator? add --operator)' : 'muster ca list shows what was signed');
  }
  return { ...newest, subject: userNameOf(kind, name), earlier: records.slice(0, -1).reverse() };
}
