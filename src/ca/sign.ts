/**
 * Signing: pending agent CSRs (`signPending`) and operator identities (`signOperator`). Every
 * check of submitCsr runs again at signing time, under the CA's lock, because the index may have
 * changed since (a revocation) and a pending file may have been edited by hand: the CSR in
 * `pending/NAME.csr` must still name NAME and carry the key its entry recorded.
 */
import { createPublicKey } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkCsr } from './csr.js';
import { CsrRefusedError } from './errors.js';
import { privateDir, writePublicFile } from './files.js';
import { withCaIndex } from './indexWriter.js';
import { clampedWindow } from './caLifetime.js';
import { issueCertificate, type ValidityOptions } from './issue.js';
import { checkKeyRules } from './keyRules.js';
import { makeKey, spkiDigest } from './keys.js';
import { checkCaName, shortDigest, subjectOf } from './names.js';
import { openssl } from './openssl.js';
import { caPaths, joinFiles, operatorFiles } from './paths.js';
import { readPendingEntry, removePending } from './pending.js';
import type { CaIndex, CertKind, CertRecord } from './records.js';
import { recordOf } from './certificate.js';

/** Default validity of agent and operator certificates. */
export const defaultCertDays = 365;

/** Options of signPending and signOperator. */
export interface SignOptions extends ValidityOptions {
  /** The inventory's host names (signPending): a pending CSR for a host no longer there is refused. */
  hostNames?: ReadonlySet<string>;
}

/**
 * Signs the pending CSRs of `names`: writes `agents/NAME.crt`, records each in the index (an
 * earlier certificate of the name, same key, is marked superseded), removes the pending files.
 * Every name is checked before any is signed, so a refusal signs nothing; two names of the batch
 * with one key are refused (one key, one identity). Resolves with the new
 * records in the order given. The validity is clamped to the CA's own.
 */
export async function signPending(stateDir: string, names: readonly string[], options: SignOptions = {}): Promise<CertRecord[]> {
  const paths = caPaths(stateDir);
  const unique = [...new Set(names)];
  return withCaIndex(stateDir, async (index) => {
    const window = await clampedWindow(stateDir, options, defaultCertDays);
    const checked: { name: string; pem: string; spki: string }[] = [];
    for (const name of unique) {
      checkCaName(name, 'host');
      const entry = await readPendingEntry(stateDir, name);
      const csr = await checkCsr(await readPendingCsr(entry.csr), `the pending CSR ${entry.csr}`);
      if (csr.name !== name) throw new CsrRefusedError(`Refused the pending CSR ${entry.csr}: it is for ${csr.name}, not ${name}`);
      if (csr.spki !== entry.spki) throw new CsrRefusedError(`Refused the pending CSR ${entry.csr}: its key is not the one recorded when it was submitted`);
      if (options.hostNames && !options.hostNames.has(name)) throw new CsrRefusedError(`Refused the pending CSR for ${name}: no host of that name in the inventory any more`);
      checkKeyRules(index, 'agent', name, csr.spki);
      // The index knows only what was signed before: one key for two names of this batch is caught here.
      const twin = checked.find((other) => other.spki === csr.spki);
      if (twin) throw new CsrRefusedError(`Refused the pending CSR for ${name}: its key ${shortDigest(csr.spki)} is also the key of the pending CSR for ${twin.name}; every identity needs its own key`);
      checked.push({ name, pem: csr.pem, spki: csr.spki });
    }
    await privateDir(paths.agents);
    const signed: CertRecord[] = [];
    for (const { name, pem } of checked) {
      const certPath = join(paths.agents, `${name}.crt`);
      const cert = await issueCertificate(paths, { caCert: paths.cert, caKey: paths.key, csrPem: pem, subject: subjectOf('agent', name), profile: 'client', ...window });
      await writePublicFile(certPath, cert);
      signed.push(addRecord(index, recordOf('agent', name, cert, certPath)));
      await removePending(stateDir, name);
    }
    return signed;
  });
}

/**
 * Makes or renews operator `name`'s identity: `operators/NAME.key` (0600, kept when its
 * certificate is not revoked: a renewal) and `operators/NAME.crt`, recorded in the index. A
 * revoked operator gets a new key. Resolves with the new record.
 */
export function signOperator(stateDir: string, name: string, options: SignOptions = {}): Promise<CertRecord> {
  return signHeldIdentity(stateDir, 'operator', name, options);
}

/**
 * Makes or renews join credential `name` (`join/NAME.key`, `join/NAME.crt`), as an operator's:
 * copied to new hosts, it lets them ask to join and nothing else (docs/join.md). Default 30 days.
 */
export function signJoin(stateDir: string, name: string, options: SignOptions = {}): Promise<CertRecord> {
  return signHeldIdentity(stateDir, 'join', name, { days: defaultJoinDays, ...options });
}

/** Default validity of a join credential: short, it is shared. */
export const defaultJoinDays = 30;

/** An identity whose key the CA's machine holds (operator, join): key kept unless revoked, certificate renewed. */
async function signHeldIdentity(stateDir: string, kind: 'operator' | 'join', name: string, options: SignOptions): Promise<CertRecord> {
  checkCaName(name, kind === 'operator' ? 'operator' : 'join credential');
  const paths = caPaths(stateDir);
  const files = kind === 'operator' ? operatorFiles(stateDir, name) : joinFiles(stateDir, name);
  return withCaIndex(stateDir, async (index) => {
    const window = await clampedWindow(stateDir, options, defaultCertDays);
    await privateDir(kind === 'operator' ? paths.operators : paths.joins);
    const existing = await existingKeyDigest(files.key);
    const revoked = existing !== undefined && index.certificates.some((record) =>
      sameIdentity(record, kind, name) && record.spki === existing && record.revokedAt !== undefined);
    const fresh = existing === undefined || revoked;
    if (fresh) await makeKey(files.key);
    const spki = fresh ? await existingKeyDigest(files.key) : existing;
    // A key file that is not the one signed before (put there by hand) is refused like an agent's CSR.
    checkKeyRules(index, kind, name, spki ?? '');
    const { stdout: csrPem } = await openssl(['req', '-new', '-key', files.key, '-subj', subjectOf(kind, name)], { what: `Cannot make the request of ${kind} ${name}` });
    const cert = await issueCertificate(paths, { caCert: paths.cert, caKey: paths.key, csrPem, subject: subjectOf(kind, name), profile: 'client', ...window });
    await writePublicFile(files.cert, cert);
    return addRecord(index, recordOf(kind, name, cert, files.cert));
  });
}

/** Appends `record`, marking every earlier live certificate of the same kind and name superseded. */
function addRecord(index: CaIndex, record: CertRecord): CertRecord {
  for (const old of index.certificates) {
    if (sameIdentity(old, record.kind, record.name) && old.revokedAt === undefined && old.supersededAt === undefined) old.supersededAt = record.signedAt;
  }
  index.certificates.push(record);
  return record;
}

function sameIdentity(record: CertRecord, kind: CertKind, name: string): boolean {
  return record.kind === kind && record.name === name;
}

/** A pending request's text; its entry without it is a one-line error. */
async function readPendingCsr(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new CsrRefusedError(`Cannot sign: ${path} is missing (its entry is there); submit the CSR again`);
  }
}

/** The SPKI digest of the key in the file at `path`, or undefined when there is no such file. */
async function existingKeyDigest(path: string): Promise<string | undefined> {
  try {
    await access(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // The public half only: openssl reads the key by path and prints its public key.
  const { stdout } = await openssl(['pkey', '-in', path, '-pubout'], { what: `Cannot read the key ${path}` });
  return spkiDigest(createPublicKey(stdout));
}
