/**
 * CSRs waiting for the operator: `pending/NAME.csr` and `pending/NAME.json` (where it came
 * from, when, its key digest). Submitting checks everything that can be checked before a human
 * looks (csr.ts, the inventory, keyRules.ts); signing checks it all again (sign.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../core/errors.js';
import { checkCsr } from './csr.js';
import { CaError, CsrRefusedError } from './errors.js';
import { privateDir, removeFile, writePublicFile } from './files.js';
import { withCaIndex } from './indexWriter.js';
import { checkKeyRules } from './keyRules.js';
import { shortDigest } from './names.js';
import { caPaths } from './paths.js';

/**
 * Where a CSR came from: fetched over SSH from an address (auto-sign may trust that), a file
 * given by hand, a host's request to join (admitted), or POSTed by a host's installer to
 * `muster serve` from one of its reserved addresses (provision; auto-sign may trust that too).
 */
export interface CsrSource {
  via: 'ssh' | 'file' | 'join' | 'provision';
  /** The address it was fetched from (ssh) or POSTed from (provision), or the file it was read from (file). */
  address?: string;
}

/** A CSR waiting to be signed. */
export interface PendingCsr {
  name: string;
  source: CsrSource;
  /** ISO 8601. */
  receivedAt: string;
  /** sha256 of its SubjectPublicKeyInfo, lowercase hex. */
  spki: string;
  /** The request file, absolute. */
  csr: string;
  /** Set when this replaced a pending CSR with another key: that one's key digest. */
  replacedSpki?: string;
}

/** Options of submitCsr. */
export interface SubmitOptions {
  /** Every host name of the inventory: a CSR for any other name is refused. */
  hostNames: ReadonlySet<string>;
  source: CsrSource;
  /** The host the caller asked (the host it fetched the CSR from, the file's name): a CSR naming another is refused. */
  expectedName?: string;
}

/**
 * Checks the CSR `pem` and files it as pending; resolves with the entry. Refuses (a
 * CsrRefusedError, one line): not one valid P-256 CSR with an agent subject; a name not in
 * `hostNames` or not `expectedName`; a key that differs from the name's signed one, or that was
 * revoked (keyRules.ts), or that another name's pending CSR uses. A pending CSR for the same name is replaced (a host enrolled again).
 * Call `signPending` right after for auto-signing.
 */
export async function submitCsr(stateDir: string, pem: string, options: SubmitOptions): Promise<PendingCsr> {
  const from = options.source.via === 'file' && options.source.address ? options.source.address : 'the CSR';
  const csr = await checkCsr(pem, from);
  if (options.expectedName !== undefined && csr.name !== options.expectedName) {
    throw new CsrRefusedError(`Refused ${from}: it is for ${csr.name}, not ${options.expectedName}`);
  }
  if (!options.hostNames.has(csr.name)) {
    throw new CsrRefusedError(`Refused the CSR for ${csr.name}: no host of that name in the inventory`);
  }
  const paths = caPaths(stateDir);
  return withCaIndex(stateDir, async (index) => {
    checkKeyRules(index, 'agent', csr.name, csr.spki);
    // One key, one identity also among the requests not yet signed (the index holds only signed ones).
    const twin = (await listPending(stateDir)).find((other) => other.name !== csr.name && other.spki === csr.spki);
    if (twin) throw new CsrRefusedError(`Refused the CSR for ${csr.name}: its key ${shortDigest(csr.spki)} is the key of the pending CSR for ${twin.name}; every identity needs its own key`);
    await privateDir(paths.pending);
    const previous = await readPendingEntry(stateDir, csr.name).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    const entry: PendingCsr = {
      name: csr.name,
      source: options.source,
      receivedAt: new Date().toISOString(),
      spki: csr.spki,
      csr: join(paths.pending, `${csr.name}.csr`),
      ...(previous && previous.spki !== csr.spki ? { replacedSpki: previous.spki } : {}),
    };
    await writePublicFile(entry.csr, csr.pem);
    await writePublicFile(join(paths.pending, `${csr.name}.json`), `${JSON.stringify(entry, null, 2)}\n`);
    return entry;
  });
}

/**
 * The pending entry of `name`; a NotFoundError when there is none. The name and the request's
 * path come from the file names, never from the JSON: an edited entry cannot point elsewhere.
 */
export async function readPendingEntry(stateDir: string, name: string): Promise<PendingCsr> {
  const dir = caPaths(stateDir).pending;
  const file = join(dir, `${name}.json`);
  let entry: PendingCsr;
  try {
    entry = JSON.parse(await readFile(file, 'utf8')) as PendingCsr;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('pending CSR', name, 'muster ca list shows the pending ones');
    if (error instanceof SyntaxError) throw new CaError(`Cannot read the pending entry ${file}: ${error.message}; remove it and submit the CSR again`);
    throw error;
  }
  return { ...entry, name, csr: join(dir, `${name}.csr`) };
}

/** Every pending CSR, by name. */
export async function listPending(stateDir: string): Promise<PendingCsr[]> {
  let files: string[];
  try {
    files = await readdir(caPaths(stateDir).pending);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names = files.filter((file) => file.endsWith('.json') && !file.startsWith('.')).map((file) => file.slice(0, -5)).sort();
  return Promise.all(names.map((name) => readPendingEntry(stateDir, name)));
}

/** Removes the pending files of `name` (once signed). */
export async function removePending(stateDir: string, name: string): Promise<void> {
  const dir = caPaths(stateDir).pending;
  await removeFile(join(dir, `${name}.csr`));
  await removeFile(join(dir, `${name}.json`));
}

/** `web01 (key sha256:…)`, for messages. */
export function describePending(entry: PendingCsr): string {
  return `${entry.name} (key ${shortDigest(entry.spki)})`;
}
