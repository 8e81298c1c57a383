/**
 * Signing one certificate with the fleet CA: `openssl ca` with a generated minimal config in a
 * private scratch folder, because only `openssl ca` takes exact start and end dates (3.0's
 * `x509 -req` has only `-days`). The CA writes the subject itself (`-subj`, in the policy's
 * O, OU, CN order) and copies no extension from the request: whatever a CSR asks for (CA:TRUE,
 * other names), the certificate says only what the profile below says.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { OptionError } from '../core/errors.js';
import { CaError } from './errors.js';
import { openssl } from './openssl.js';
import type { CaPaths } from './paths.js';

/** Which extensions a certificate gets; `ca` is the fleet CA itself, self-signed. */
export type Profile = 'client' | 'broker' | 'ca';

/** How long a certificate is valid: `days` from now, or until `notAfter` (exact, to the second). */
export interface ValidityOptions {
  days?: number;
  notAfter?: Date;
}

/** What to sign. */
export interface IssueRequest {
  /**
   * The CA's certificate and key files (the key by path: it never leaves its file). Profile
   * `ca` signs the request with `caKey`, its own key (`openssl ca -selfsign`), and needs no certificate.
   */
  caCert?: string;
  caKey: string;
  /** The request, PEM. Its subject and extensions are ignored (see the header). */
  csrPem: string;
  /** `-subj` form, from names.ts. */
  subject: string;
  profile: Profile;
  /** Subject alternative names, `IP:…`/`DNS:…` (broker profile). */
  altNames?: string[];
  notBefore: Date;
  notAfter: Date;
}

/** How far back a certificate's start is set, so a host whose clock is a little behind accepts it at once. */
export const backdateMs = 5 * 60_000;

/**
 * The validity window for `options` at `now`: from `now - backdateMs` to `notAfter`, or to
 * `now + days` (default `defaultDays`). Refuses (OptionError) days that are not a whole number
 * from 1 to 36500 and a notAfter that is not in the future.
 */
export function validityWindow(options: ValidityOptions, defaultDays: number, now: Date = new Date()): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(now.getTime() - backdateMs);
  if (options.notAfter !== undefined) {
    if (!(options.notAfter.getTime() > now.getTime())) {
      throw new OptionError('notAfter', (name) => `Invalid ${name('notAfter')} ${options.notAfter?.toISOString()}: it must be in the future`);
    }
    return { notBefore, notAfter: options.notAfter };
  }
  const days = options.days ?? defaultDays;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw new OptionError('days', (name) => `Invalid ${name('days')} ${days}: give a whole number of days from 1 to 36500`);
  }
  return { notBefore, notAfter: new Date(now.getTime() + days * 86_400_000) };
}

/** `openssl ca` date: UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
export function opensslDate(date: Date): string {
  const iso = date.toISOString(); // 2026-12-02T05:20:00.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? digits.slice(2) : digits;
}

/**
 * A subject alternative name for an address or DNS name: `IP:127.0.0.1`, `DNS:broker.lan`.
 * Refuses anything else (it goes into an openssl config, so no `,`, `$`, quotes or spaces).
 */
export function altNameOf(value: string): string {
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(bare)) return `IP:${bare}`;
  if (/^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/.test(bare) && bare.length <= 253) return `DNS:${bare}`;
  throw new CaError(`Invalid subject alternative name ${JSON.stringify(value)}: give an IP address or a DNS name`);
}

function configText(request: IssueRequest): string {
  const usage = request.profile === 'ca'
    ? ['basicConstraints = critical,CA:TRUE,pathlen:0', 'keyUsage = critical,keyCertSign,cRLSign']
    : [
      'basicConstraints = critical,CA:FALSE',
      ...request.profile === 'broker'
        ? ['keyUsage = critical,digitalSignature,keyAgreement', 'extendedKeyUsage = serverAuth,clientAuth']
        : ['keyUsage = critical,digitalSignature', 'extendedKeyUsage = clientAuth'],
      'authorityKeyIdentifier = keyid',
    ];
  const altNames = request.altNames ?? [];
  return [
    '[ ca ]',
    'default_ca = muster',
    '[ muster ]',
    // Relative to the scratch folder (the cwd): a state path with `$` or spaces cannot break the config.
    'database = index.txt',
    'new_certs_dir = .',
    'rand_serial = yes',
    'default_md = sha256',
    'policy = policy_muster',
    'unique_subject = no',
    'copy_extensions = none',
    'email_in_dn = no',
    '[ policy_muster ]',
    'organizationName = supplied',
    'organizationalUnitName = supplied',
    'commonName = supplied',
    '[ profile ]',
    ...usage,
    'subjectKeyIdentifier = hash',
    ...(altNames.length > 0 ? [`subjectAltName = ${altNames.join(',')}`] : []),
    '',
  ].join('\n');
}

/** Signs `request` with the CA whose files `paths` names; resolves with the certificate, PEM. */
export async function issueCertificate(paths: Pick<CaPaths, 'dir'>, request: IssueRequest): Promise<string> {
  if (!(request.notAfter.getTime() > request.notBefore.getTime())) throw new CaError('Cannot sign: the certificate would end before it starts');
  // The scratch folder sits in the CA folder (0700): the request and config never touch /tmp.
  const scratch = await mkdtemp(join(paths.dir, '.sign-'));
  try {
    await writeFile(join(scratch, 'index.txt'), '');
    await writeFile(join(scratch, 'ca.cnf'), configText(request));
    await writeFile(join(scratch, 'request.csr'), request.csrPem);
    await openssl([
      'ca', '-batch', '-config', 'ca.cnf', '-notext', '-utf8',
      ...(request.profile === 'ca' ? ['-selfsign'] : ['-cert', request.caCert ?? '']), '-keyfile', request.caKey,
      '-in', 'request.csr', '-out', 'issued.crt', '-subj', request.subject, '-extensions', 'profile',
      '-startdate', opensslDate(request.notBefore), '-enddate', opensslDate(request.notAfter),
    ], { cwd: scratch, what: `Cannot sign ${request.subject}` });
    return await readFile(join(scratch, 'issued.crt'), 'utf8');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
