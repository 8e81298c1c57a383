/**
 * For the CA's tests: a temporary state folder, and keys and CSRs made the way `muster agent
 * enroll` makes them (the system openssl), or deliberately wrong.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system temp dir; `remove()` deletes it. */
export function tempState(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'muster-ca-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Makes a key `NAME.key` in `dir`: P-256 unless `algorithm` says otherwise (`rsa`, `p384`). */
export function makeTestKey(dir: string, name: string, algorithm: 'p256' | 'p384' | 'rsa' = 'p256'): string {
  const key = join(dir, `${name}.key`);
  const options = algorithm === 'rsa' ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
    : ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${algorithm === 'p384' ? 'P-384' : 'P-256'}`];
  execFileSync('openssl', ['genpkey', ...options, '-out', key], { stdio: ['ignore', 'ignore', 'pipe'] });
  return key;
}

/** A CSR (PEM) with `subject` (openssl -subj form) signed by the key file `key`. */
export function makeTestCsr(key: string, subject: string): string {
  return execFileSync('openssl', ['req', '-new', '-key', key, '-subj', subject, '-utf8'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** A new P-256 key in `dir` and an agent CSR for `host` made with it. */
export function agentCsr(dir: string, host: string, keyName = host): { key: string; pem: string } {
  const key = makeTestKey(dir, keyName);
  return { key, pem: makeTestCsr(key, `/O=muster/OU=agent/CN=${host}`) };
}

/** Runs `openssl verify -CAfile ca cert`: the output line, or throws with openssl's complaint. */
export function opensslVerify(ca: string, cert: string): string {
  return execFileSync('openssl', ['verify', '-CAfile', ca, cert], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}

/** The text of `openssl x509 -noout -text` for a certificate file. */
export function certText(path: string): string {
  return execFileSync('openssl', ['x509', '-in', path, '-noout', '-text'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** A file's content. */
export function read(path: string): string {
  return readFileSync(path, 'utf8');
}
