/**
 * Making the fleet CA: its key (0600, P-256) and self-signed certificate, and the brokers'
 * server certificate (the same certificate serves clients and cluster routes, hence both
 * serverAuth and clientAuth). Everything is made under temporary names and `ca.crt` is put in
 * place last: a failure part way leaves no CA, and `ca init` can simply be run again.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withFileLock } from '../core/fileLock.js';
import { CaError } from './errors.js';
import { privateDir, removeFile, writePublicFile } from './files.js';
import { altNameOf, issueCertificate, validityWindow } from './issue.js';
import { makeKey } from './keys.js';
import { shortDigest, subjectOf } from './names.js';
import { openssl } from './openssl.js';
import { caPaths } from './paths.js';
import { fingerprintOf } from './certificate.js';
import { clampedWindow } from './caLifetime.js';
import { requireCa } from './indexWriter.js';
import { readIndex } from './records.js';

/** Options of initCa. */
export interface InitOptions {
  /** The brokers' addresses and DNS names; 127.0.0.1 and localhost are always added. */
  sans: readonly string[];
  /** Validity of the CA certificate (default 3650); the broker certificate gets at most 825 of them. */
  days?: number;
}

/** What initCa made. */
export interface InitResult {
  dir: string;
  cert: string;
  /** sha256 of the CA certificate (DER), lowercase hex. */
  fingerprint: string;
  notAfter: string;
  broker: BrokerCertificate;
}

/** The brokers' certificate. */
export interface BrokerCertificate {
  cert: string;
  key: string;
  /** Its subject alternative names, `IP:…`/`DNS:…`. */
  altNames: string[];
  notAfter: string;
}

/** Default validity of the CA certificate, and most a broker certificate gets. */
export const defaultCaDays = 3650;
export const maxBrokerDays = 825;

/**
 * Makes the fleet CA in `stateDir/ca/` (folders 0700): see the header. Refuses with a CaError
 * when a CA is already there (its certificate exists), and when a CA key or signed records are
 * there without the certificate (a CA that lost ca.crt: a new key would orphan every
 * certificate it signed); nothing is changed then.
 */
export async function initCa(stateDir: string, options: InitOptions): Promise<InitResult> {
  const paths = caPaths(stateDir);
  const altNames = brokerAltNames(options.sans);
  const days = options.days ?? defaultCaDays;
  // One `now` for the CA and the broker: the broker's end is then never past the CA's.
  const now = new Date();
  const window = validityWindow({ days }, defaultCaDays, now);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  for (const dir of [paths.dir, dirname(paths.brokerCert), paths.pending, paths.agents, paths.operators]) await privateDir(dir);
  return withFileLock(paths.index, async () => {
    if (await exists(paths.cert)) {
      const existing = new X509Certificate(await readFile(paths.cert, 'utf8'));
      throw new CaError(`A fleet CA is already in ${paths.dir} (${shortDigest(fingerprintOf(existing))}, until ${new Date(existing.validTo).toISOString().slice(0, 10)}); nothing was changed`);
    }
    if (await exists(paths.key) || (await readIndex(stateDir)).certificates.length > 0) {
      throw new CaError(`A fleet CA's key or records are in ${paths.dir} but ${paths.cert} is missing: restore ca.crt or move ${paths.dir} away; nothing was changed`);
    }
    // The random suffix tells one fleet's CA from another's when a host holds the wrong ca.crt.
    const subject = `/O=muster/OU=ca/CN=muster fleet CA ${randomBytes(4).toString('hex')}`;
    // Key and certificate under temporary names, renamed once all is made: a failure leaves neither.
    const newKey = join(paths.dir, `.ca-${randomBytes(4).toString('hex')}.key`);
    const newCert = `${paths.cert}.new`;
    try {
      await makeKey(newKey);
      // Self-signed through `openssl ca`, the one way to set its start: backdated like its leaves (backdateMs).
      const { stdout: csrPem } = await openssl(['req', '-new', '-key', newKey, '-subj', subject], { what: 'Cannot make the CA request' });
      const caPem = await issueCertificate(paths, { caKey: newKey, csrPem, subject, profile: 'ca', ...window });
      await writePublicFile(newCert, caPem);
      const brokerDays = Math.min(days, maxBrokerDays);
      const broker = await issueBroker(stateDir, { cert: newCert, key: newKey }, altNames, {
        notBefore: window.notBefore, notAfter: validityWindow({ days: brokerDays }, maxBrokerDays, now).notAfter,
      });
      await rename(newKey, paths.key);
      await rename(newCert, paths.cert);
      const caCert = new X509Certificate(caPem);
      return { dir: paths.dir, cert: paths.cert, fingerprint: fingerprintOf(caCert), notAfter: new Date(caCert.validTo).toISOString(), broker };
    } finally {
      await removeFile(newKey);
      await removeFile(newCert);
    }
  });
}

/**
 * Makes the brokers' key and certificate again (new SANs: a broker added to a cluster), with
 * the existing CA: at most `maxBrokerDays`, never past the CA's end, refused (CaError) when the
 * CA has ended or ends within a day. Resolves with what it made.
 */
export async function renewBrokerCertificate(stateDir: string, options: InitOptions): Promise<BrokerCertificate> {
  const paths = caPaths(stateDir);
  const altNames = brokerAltNames(options.sans);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  return withFileLock(paths.index, async () => {
    await requireCa(stateDir);
    const window = await clampedWindow(stateDir, { days: Math.min(options.days ?? maxBrokerDays, maxBrokerDays) }, maxBrokerDays);
    return issueBroker(stateDir, { cert: paths.cert, key: paths.key }, altNames, window);
  });
}

/** The SANs for `sans`: each checked (altNameOf), 127.0.0.1 and localhost added, duplicates dropped. */
export function brokerAltNames(sans: readonly string[]): string[] {
  return [...new Set([...sans, '127.0.0.1', 'localhost'].map(altNameOf))];
}

/**
 * Signs a new broker key with the CA in `ca`: key and certificate written under temporary
 * names, then renamed (key, then certificate), so a failure leaves the old pair as it was.
 */
async function issueBroker(stateDir: string, ca: { cert: string; key: string }, altNames: string[], window: { notBefore: Date; notAfter: Date }): Promise<BrokerCertificate> {
  const paths = caPaths(stateDir);
  await privateDir(dirname(paths.brokerCert));
  const suffix = randomBytes(4).toString('hex');
  const key = join(dirname(paths.brokerKey), `.${suffix}.key`);
  const certFile = join(dirname(paths.brokerCert), `.${suffix}.crt`);
  try {
    await makeKey(key);
    const { stdout: csrPem } = await openssl(['req', '-new', '-key', key, '-subj', subjectOf('broker', 'broker')], { what: 'Cannot make the broker request' });
    const cert = await issueCertificate(paths, {
      caCert: ca.cert, caKey: ca.key, csrPem, subject: subjectOf('broker', 'broker'), profile: 'broker', altNames, ...window,
    });
    await writePublicFile(certFile, cert);
    await rename(key, paths.brokerKey);
    await rename(certFile, paths.brokerCert);
    return { cert: paths.brokerCert, key: paths.brokerKey, altNames, notAfter: new Date(new X509Certificate(cert).validTo).toISOString() };
  } finally {
    await removeFile(key);
    await removeFile(certFile);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
