/**
 * Private keys and what identifies a public key. Keys are ECDSA P-256 made by the system
 * openssl; a key travels from openssl's stdout straight into a 0600 file and nowhere else.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { openssl } from './openssl.js';
import { writeSecretFile } from './files.js';

/** Makes a new P-256 private key at `path` (0600), replacing any file there. */
export async function makeKey(path: string): Promise<void> {
  const { stdout } = await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], { what: 'Cannot make a key' });
  await writeSecretFile(path, stdout);
}

/** sha256 of a public key's SubjectPublicKeyInfo (DER), lowercase hex: nats-server's `pinned_certs` entry. */
export function spkiDigest(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Whether a public key is the ECDSA P-256 key muster makes (the only kind the CA signs). */
export function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** What a key is, for a refusal: `rsa 1024 bits`, `ec secp384r1`. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `ec ${details?.namedCurve ?? 'unknown curve'}`;
  return `${key.asymmetricKeyType ?? 'unknown'}${details?.modulusLength ? ` ${details.modulusLength} bits` : ''}`;
}
