/**
 * `muster agent enroll`: the host makes its own key (it never leaves the host) and a CSR
 * naming its inventory host name (`/O=muster/OU=agent/CN=HOST`, docs/agents.md), and writes
 * agent.json. The operator signs the CSR (`muster ca request -`, `muster ca sign HOST`) and
 * puts agent.crt and ca.crt in the folder.
 *
 * Idempotent: an existing key is kept (enrolling again renews: a new CSR for the same key),
 * agent.json is rewritten with what was given, keeping the servers and roles it had when
 * they are not given again.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { agentPaths, readAgentJson } from './config.js';
import { openssl } from './openssl.js';

/** What `enroll` takes. */
export interface EnrollOptions {
  /** The host's inventory name (letters, digits, `.`, `_`, `-`). */
  name: string;
  dir: string;
  /** The broker URLs (`tls://host:4222`); default: those agent.json already has. */
  servers?: string[];
  /** Roles whose subjects the agent answers; default: those agent.json already has, else none. */
  roles?: string[];
}

/** What `enroll` did. */
export interface Enrolled {
  /** Whether a new key was made (false: the existing one was kept). */
  keyCreated: boolean;
  /** The CSR, PEM. */
  csr: string;
  paths: ReturnType<typeof agentPaths>;
}

/** A host name as it may appear in a certificate subject and the agent's subjects. */
const hostName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/**
 * `mkdir -p`, one level at a time: Node's own recursive mkdir spins forever on a path under
 * /proc (its mkdir fails ENOENT, which Node takes for a missing parent, again and again).
 */
async function makeFolders(dir: string): Promise<void> {
  const parent = dirname(dir);
  if (parent !== dir && !existsSync(parent)) await makeFolders(parent);
  try {
    await mkdir(dir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`Cannot make the agent folder ${dir}: ${(error as Error).message}`);
  }
}

/** Makes the key (if absent), the CSR and agent.json in `options.dir` (see the file header). */
export async function enroll(options: EnrollOptions): Promise<Enrolled> {
  if (!hostName.test(options.name)) throw new UsageError(`Invalid agent name "${options.name}": give the host's inventory name (letters, digits, '.', '_', '-')`);
  const paths = agentPaths(options.dir);
  const previous = existsSync(paths.config) ? readAgentJson(options.dir) : undefined;
  const servers = options.servers ?? previous?.servers;
  if (!servers || servers.length === 0) throw new UsageError('No broker given: add --servers tls://BROKER:4222 (agent.json has none yet)');
  const roles = options.roles ?? previous?.roles ?? [];
  await makeFolders(resolve(options.dir));
  let keyCreated = false;
  if (!existsSync(paths.key)) {
    // openssl prints the key to stdout, and it goes straight into a file made 0600 before anything is in it.
    const key = await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const temp = `${paths.key}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, key, { mode: 0o600, flag: 'wx' });
      await rename(temp, paths.key);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    key.fill(0);
    keyCreated = true;
  }
  const csr = (await openssl(['req', '-new', '-key', paths.key, '-subj', `/O=muster/OU=agent/CN=${options.name}`])).toString('utf8');
  await writeFileAtomic(paths.csr, csr, { createMode: 0o644 });
  await writeFileAtomic(paths.config, `${JSON.stringify({ name: options.name, servers, roles }, null, 2)}\n`, { createMode: 0o644 });
  return { keyCreated, csr, paths };
}
