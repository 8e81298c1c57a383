/**
 * Checking a certificate signing request before it may wait for signing: exactly one PEM
 * request, its self-signature valid (`openssl req -verify`), its subject exactly
 * `/O=muster/OU=agent/CN=NAME` (nothing more, nothing reordered, no multi-valued RDN, no
 * character that needs escaping), and an ECDSA P-256 key. Every refusal is one line.
 */
import { createPublicKey } from 'node:crypto';
import { CsrRefusedError } from './errors.js';
import { describeKey, isP256, spkiDigest } from './keys.js';
import { isCaName } from './names.js';
import { openssl } from './openssl.js';

/** A request that passed every check. */
export interface CheckedCsr {
  /** The CN: the inventory host name the request is for. */
  name: string;
  /** The request, normalised: one PEM block, `\n` line ends. */
  pem: string;
  /** sha256 of the request's SubjectPublicKeyInfo, lowercase hex (compare with CertRecord.spki). */
  spki: string;
}

/** Largest CSR accepted: a P-256 request is under 1 KiB; this is for a pasted mistake, not a limit to tune. */
export const maxCsrBytes = 16 * 1024;

const pemPattern = /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----\n([A-Za-z0-9+/=\n]+)\n-----END \1CERTIFICATE REQUEST-----$/;

/**
 * Checks `text` as an agent's CSR (see the header); resolves with its name and key digest,
 * rejects with a CsrRefusedError saying what is wrong. `from` names the input in messages
 * (`web01.csr`, `stdin`).
 */
export async function checkCsr(text: string, from = 'the request'): Promise<CheckedCsr> {
  if (Buffer.byteLength(text) > maxCsrBytes) throw new CsrRefusedError(`Refused ${from}: it is over ${maxCsrBytes} bytes, not one certificate request`);
  const pem = text.replace(/\r\n/g, '\n').trim();
  if (!pemPattern.test(pem)) {
    throw new CsrRefusedError(`Refused ${from}: not a PEM certificate request (expected one -----BEGIN CERTIFICATE REQUEST----- block, as muster agent enroll prints)`);
  }
  const checked = await openssl(['req', '-noout', '-verify', '-subject', '-nameopt', 'RFC2253', '-pubkey'], { input: `${pem}\n`, what: `Refused ${from}: openssl cannot read it as a certificate request` })
    .catch((error: unknown) => {
      throw error instanceof Error ? new CsrRefusedError(error.message) : error;
    });
  // openssl 3.0 exits 0 when the signature does not verify: its verdict is only in what it prints.
  if (!/self-signature verify OK/.test(checked.stderr)) {
    throw new CsrRefusedError(`Refused ${from}: its signature does not verify (the request was altered, or not made with its own key)`);
  }
  const subject = /^subject=(.*)$/m.exec(checked.stdout)?.[1] ?? '';
  const name = /^CN=([^,+\\]*),OU=agent,O=muster$/.exec(subject)?.[1];
  if (name === undefined) {
    throw new CsrRefusedError(`Refused ${from}: its subject is "${subject}", and an agent's must be exactly CN=HOST,OU=agent,O=muster (made by muster agent enroll)`);
  }
  if (!isCaName(name)) {
    throw new CsrRefusedError(`Refused ${from}: its host name "${name}" has characters a certificate name may not have (letters, digits, ".", "_" and "-")`);
  }
  const keyPem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/.exec(checked.stdout)?.[0];
  if (keyPem === undefined) throw new CsrRefusedError(`Refused ${from}: openssl printed no public key for it`);
  const key = createPublicKey(keyPem);
  if (!isP256(key)) throw new CsrRefusedError(`Refused ${from}: its key is ${describeKey(key)}; agents use ECDSA P-256 keys (muster agent enroll makes one)`);
  return { name, pem: `${pem}\n`, spki: spkiDigest(key) };
}
