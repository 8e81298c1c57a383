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
 * when a CA is already there (its certificate exists); nothing is changed then.
 */
export async function initCa(stateDir: string, options: InitOptions): Promise<InitResult> {
  const paths = caPaths(stateDir);
  const altNames = brokerAltNames(options.sans);
  const days = options.days ?? defaultCaDays;
  const window = validityWindow({ days }, defaultCaDays);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  for (const dir of [paths.dir, dirname(paths.brokerCert), paths.pending, paths.agents, paths.operators]) await privateDir(dir);
  return withFileLock(paths.index, async () => {
    if (await exists(paths.cert)) {
      const existing = new X509Certificate(await readFile(paths.cert, 'utf8'));
      throw new CaError(`A fleet CA is already in ${paths.dir} (${shortDigest(fingerprintOf(existing))}, until ${new Date(existing.validTo).toISOString().slice(0, 10)}); nothing was changed`);
    }
    // The random suffix tells one fleet's CA from another's when a host holds the wrong ca.crt.
    const subject = `/O=muster/OU=ca/CN=muster fleet CA ${randomBytes(4).toString('hex')}`;
    await makeKey(paths.key);
    const newCert = `${paths.cert}.new`;
    const { stdout: caPem } = await openssl([
      'req', '-x509', '-new', '-key', paths.key, '-subj', subject, '-days', String(days), '-sha256',
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    ], { what: 'Cannot make the CA certificate' });
    await writePublicFile(newCert, caPem);
    try {
      const broker = await issueBroker(stateDir, newCert, altNames, Math.min(days, maxBrokerDays), window.notBefore);
      await rename(newCert, paths.cert);
      const caCert = new X509Certificate(caPem);
      return { dir: paths.dir, cert: paths.cert, fingerprint: fingerprintOf(caCert), notAfter: new Date(caCert.validTo).toISOString(), broker };
    } finally {
      await removeFile(newCert);
    }
  });
}

/**
 * Makes the brokers' key and certificate again (new SANs: a broker added to a cluster), with
 * the existing CA. Resolves with what it made.
 */
export async function renewBrokerCertificate(stateDir: string, options: InitOptions): Promise<BrokerCertificate> {
  const paths = caPaths(stateDir);
  const altNames = brokerAltNames(options.sans);
  if (!(await exists(paths.cert))) throw new CaError(`No fleet CA in ${paths.dir}: make one with muster ca init`);
  return withFileLock(paths.index, () => issueBroker(stateDir, paths.cert, altNames, Math.min(options.days ?? maxBrokerDays, maxBrokerDays)));
}

/** The SANs for `sans`: each checked (altNameOf), 127.0.0.1 and localhost added, duplicates dropped. */
export function brokerAltNames(sans: readonly string[]): string[] {
  return [...new Set([...sans, '127.0.0.1', 'localhost'].map(altNameOf))];
}

async function issueBroker(stateDir: string, caCert: string, altNames: string[], days: number, notBefore?: Date): Promise<BrokerCertificate> {
  const paths = caPaths(stateDir);
  await privateDir(dirname(paths.brokerCert));
  const window = validityWindow({ days }, maxBrokerDays);
  const key = join(dirname(paths.brokerKey), `.${randomBytes(4).toString('hex')}.key`);
  await makeKey(key);
  try {
    const { stdout: csrPem } = await openssl(['req', '-new', '-key', key, '-subj', subjectOf('broker', 'broker')], { what: 'Cannot make the broker request' });
    const cert = await issueCertificate(paths, {
      caCert, caKey: paths.key, csrPem, subject: subjectOf('broker', 'broker'), profile: 'broker', altNames,
      notBefore: notBefore ?? window.notBefore, notAfter: window.notAfter,
    });
    await rename(key, paths.brokerKey);
    await writePublicFile(paths.brokerCert, cert);
    return { cert: paths.brokerCert, key: paths.brokerKey, altNames, notAfter: new Date(new X509Certificate(cert).validTo).toISOString() };
  } finally {
    await removeFile(key);
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
