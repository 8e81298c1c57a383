/**
 * A state folder for the broker's tests, made by the real fleet CA (src/ca/) exactly as the
 * CLI makes it: `initCa` (CA and broker certificate for 127.0.0.1), then per agent `enroll`
 * (its key and CSR, as on the host) → `submitCsr` → `signPending`, per operator
 * `signOperator`, and `revokeCertificate`. So every broker test proves that the certificates
 * and index.json the CA writes work with the broker config generated from them.
 *
 * An agent's key lives on its host in production; here each agent's folder is
 * `STATE/hosts/NAME/` (agent.key, agent.csr, agent.json), inside the state folder so that
 * `remove()` deletes it, keys included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enroll } from '../agent/enroll.js';
import { initCa, revokeCertificate, signOperator, signPending, submitCsr } from '../ca/index.js';
import { caPaths, operatorFiles } from '../ca/paths.js';
import type { CertKind } from '../ca/records.js';

export interface TestState {
  stateDir: string;
  /** Cert, key and CA of an identity (agent or operator), for nats.js `tls`; throws for a name never signed. */
  files(name: string): { certFile: string; keyFile: string; caFile: string };
  /** Signs one more identity with the real CA (an agent: enrolled, submitted, signed). */
  sign(kind: CertKind, name: string): Promise<void>;
  /** Revokes `name` with the real CA (`ca revoke`): index.json gets `revokedAt`. */
  revoke(name: string): Promise<void>;
  remove(): void;
}

/** Who a test state signs. */
export interface Identities {
  agents?: string[];
  operators?: string[];
}

/** The agent folder of `name` in the test state (its key, CSR and agent.json). */
function hostDir(stateDir: string, name: string): string {
  return join(stateDir, 'hosts', name);
}

/** The TestState of a state folder whose identities were signed as `kinds` says. */
function stateOf(stateDir: string, kinds: Map<string, CertKind>): TestState {
  const paths = caPaths(stateDir);
  return {
    stateDir,
    files(name) {
      const kind = kinds.get(name);
      if (!kind) throw new Error(`no test identity ${name}`);
      if (kind === 'operator') {
        const files = operatorFiles(stateDir, name);
        return { certFile: files.cert, keyFile: files.key, caFile: files.ca };
      }
      return { certFile: join(paths.agents, `${name}.crt`), keyFile: join(hostDir(stateDir, name), 'agent.key'), caFile: paths.cert };
    },
    async sign(kind, name) {
      if (kind === 'operator') await signOperator(stateDir, name);
      else {
        // agent.json's servers are not used by the broker's tests; enroll needs some.
        const enrolled = await enroll({ name, dir: hostDir(stateDir, name), servers: ['tls://127.0.0.1:4222'] });
        await submitCsr(stateDir, enrolled.csr, { hostNames: new Set([name]), source: { via: 'file', address: enrolled.paths.csr }, expectedName: name });
        await signPending(stateDir, [name]);
      }
      kinds.set(name, kind);
    },
    async revoke(name) {
      const kind = kinds.get(name);
      if (!kind) throw new Error(`no test identity ${name}`);
      await revokeCertificate(stateDir, kind, name);
    },
    remove: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

/**
 * Makes a CA with a broker certificate for 127.0.0.1 in `stateDir` (default: a fresh temporary
 * folder), then signs the given identities, all with the real CA.
 */
export async function makeCaTestState(identities: Identities, stateDir = mkdtempSync(join(tmpdir(), 'muster-broker-'))): Promise<TestState> {
  const state = stateOf(stateDir, new Map());
  try {
    await initCa(stateDir, { sans: [] });
    for (const name of identities.agents ?? []) await state.sign('agent', name);
    for (const name of identities.operators ?? []) await state.sign('operator', name);
  } catch (error) {
    state.remove();
    throw error;
  }
  return state;
}
