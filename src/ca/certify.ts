/**
 * A host's CSR taken as far as the CA may take it on its own, the one way `muster agent
 * install` and serve's installer enrollment both do it: a key that already has an active
 * agent certificate for the name gets that certificate again (enrolling twice); else the CSR
 * is filed as pending (submitCsr checks it) and signed at once when the caller's autosign
 * rule selects the host, else it waits for `muster ca sign`.
 */
import { checkCsr } from './csr.js';
import { CaError, CsrRefusedError } from './errors.js';
import { submitCsr, type SubmitOptions } from './pending.js';
import { activeCertificates, readIndex, type CertRecord } from './records.js';
import { signPending } from './sign.js';

/** Options of certifyCsr. */
export interface CertifyOptions extends Omit<SubmitOptions, 'expectedName'> {
  /** The host the CSR must be for. */
  name: string;
  /** The CSR in messages: `the CSR of web05`, `the CSR from 10.0.0.5`. */
  what: string;
  /** Whether `agents.autosign` selects the host: signed now, not left pending. */
  autosign: boolean;
}

/** What became of the CSR. */
export type Certified = { kind: 'existing' | 'signed'; record: CertRecord } | { kind: 'pending' };

/** Certifies `pem` for `options.name` (see the file comment); a CsrRefusedError (one line) when the CA refuses it. */
export async function certifyCsr(stateDir: string, pem: string, options: CertifyOptions): Promise<Certified> {
  const csr = await checkCsr(pem, options.what);
  if (csr.name !== options.name) throw new CsrRefusedError(`Refused ${options.what}: it is for ${csr.name}, not ${options.name}`);
  const existing = activeCertificates(await readIndex(stateDir)).find((record) => record.kind === 'agent' && record.name === options.name && record.spki === csr.spki);
  if (existing) return { kind: 'existing', record: existing };
  await submitCsr(stateDir, csr.pem, { hostNames: options.hostNames, source: options.source, expectedName: options.name });
  if (!options.autosign) return { kind: 'pending' };
  const [record] = await signPending(stateDir, [options.name], { hostNames: options.hostNames });
  if (!record) throw new CaError(`Signing ${options.name} gave no certificate`);
  return { kind: 'signed', record };
}
