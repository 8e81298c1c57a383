/**
 * A state folder laid out as docs/agents.md says the CA leaves it, made with the system
 * openssl, for the broker's tests: `ca/ca.key`, `ca/ca.crt`, `ca/broker/server.{crt,key}`,
 * `ca/agents/NAME.crt`, `ca/operators/NAME.{crt,key}` and `ca/index.json` of CertRecords.
 * An agent's key lives on its host in production; here it sits beside its certificate
 * (`ca/agents/NAME.key`) so a test can connect as that agent. Kept in this one file so the
 * CA's own functions can replace it once they are merged.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caPaths } from '../ca/paths.js';
import type { CaIndex, CertRecord } from '../ca/records.js';

export interface TestState {
  stateDir: string;
  /** Cert, key and CA of an identity (agent or operator), for nats.js `tls`. */
  files(name: string): { certFile: string; keyFile: string; caFile: string };
  /** Signs one more identity and adds its record to index.json. */
  sign(kind: CertRecord['kind'], name: string): void;
  /** Marks the record of `name` revoked in index.json, as `ca revoke` does. */
  revoke(name: string): void;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(path: string): void {
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  chmodSync(path, 0o600);
}

function record(kind: CertRecord['kind'], name: string, path: string): CertRecord {
  const cert = new X509Certificate(readFileSync(path));
  const spkiDer = cert.publicKey.export({ type: 'spki', format: 'der' });
  return {
    kind, name, path,
    serial: cert.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
    spki: createHash('sha256').update(spkiDer).digest('hex'),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    signedAt: new Date().toISOString(),
  };
}

let serial = 1;

/** Makes a CA, a broker certificate for 127.0.0.1 and the given identities in a fresh state folder. */
export function makeTestState(identities: { agents?: string[]; operators?: string[] }): TestState {
  const stateDir = mkdtempSync(join(tmpdir(), 'muster-broker-'));
  const paths = caPaths(stateDir);
  for (const dir of [paths.dir, paths.agents, paths.operators, join(paths.dir, 'broker')]) mkdirSync(dir, { recursive: true });
  newKey(paths.key);
  openssl(paths.dir, ['req', '-x509', '-new', '-key', paths.key, '-subj', '/O=muster/CN=muster test CA', '-days', '2', '-out', paths.cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const issue = (key: string, cert: string, subject: string, extensions: string): void => {
    newKey(key);
    const csr = `${cert}.csr`;
    const ext = `${cert}.ext`;
    openssl(paths.dir, ['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
    writeFileSync(ext, extensions);
    openssl(paths.dir, ['x509', '-req', '-in', csr, '-CA', paths.cert, '-CAkey', paths.key, '-set_serial', `0x${(Date.now() * 1000 + serial++).toString(16)}`,
      '-days', '2', '-extfile', ext, '-out', cert]);
    rmSync(csr);
    rmSync(ext);
  };
  issue(paths.brokerKey, paths.brokerCert, '/O=muster/OU=broker/CN=broker', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  const index: CaIndex = { version: 1, certificates: [] };
  const save = (): void => writeFileSync(paths.index, `${JSON.stringify(index, null, 2)}\n`);
  const where = (name: string): string => {
    const found = index.certificates.find((entry) => entry.name === name);
    if (!found) throw new Error(`no test identity ${name}`);
    return found.kind === 'agent' ? paths.agents : paths.operators;
  };
  const state: TestState = {
    stateDir,
    files: (name) => ({ certFile: join(where(name), `${name}.crt`), keyFile: join(where(name), `${name}.key`), caFile: paths.cert }),
    sign(kind, name) {
      const dir = kind === 'agent' ? paths.agents : paths.operators;
      const cert = join(dir, `${name}.crt`);
      issue(join(dir, `${name}.key`), cert, `/O=muster/OU=${kind}/CN=${name}`, 'extendedKeyUsage=clientAuth\n');
      index.certificates.push(record(kind, name, cert));
      save();
    },
    revoke(name) {
      for (const entry of index.certificates) if (entry.name === name) entry.revokedAt = new Date().toISOString();
      save();
    },
    remove: () => rmSync(stateDir, { recursive: true, force: true }),
  };
  for (const name of identities.agents ?? []) state.sign('agent', name);
  for (const name of identities.operators ?? []) state.sign('operator', name);
  save();
  return state;
}
