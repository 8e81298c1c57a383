/**
 * The fleet CA behind `muster serve`'s agent enrollment (serve/agentEnroller.ts; the routes
 * are serve/enrollRoute.ts). serve may not import the CA or the brokers, so `muster serve`
 * makes this here and hands it over. It does what `muster agent install` does with a CSR
 * (ca/certify.ts): a key that already has an active certificate gets that one; else the CSR
 * is filed (source `provision`, the address it came from), signed at once when
 * `agents.autosign` selects the host, else left pending; after a signature the brokers
 * are refreshed before the answer, so the agent can connect as soon as it has its
 * certificate. Everything is read from the inventory serve has now (it reloads on edits).
 */
import { readFile } from 'node:fs/promises';
import { describeRefresh, refreshBrokers } from '../broker/process.js';
import { certifyCsr } from '../ca/certify.js';
import { maxCsrBytes } from '../ca/csr.js';
import { CsrRefusedError } from '../ca/errors.js';
import { caPaths, stateDirFor } from '../ca/paths.js';
import { MusterError, SelectorError } from '../core/errors.js';
import { select } from '../inventory/select.js';
import type { Inventory } from '../inventory/types.js';
import type { AgentEnroller, AgentSetup, EnrollOutcome, NoAgentSetup } from '../serve/agentEnroller.js';
import { coalesced } from './commands/agentInstallJob.js';

/** Options of serveEnroller: the environment the state folder is found in (tests). */
export interface ServeEnrollerOptions {
  env?: NodeJS.ProcessEnv;
}

/** The enroller `muster serve` gives its server (see the file comment). */
export function serveEnroller(options: ServeEnrollerOptions = {}): AgentEnroller {
  const env = options.env ?? process.env;
  // Many hosts installed at once share one refresh that began after their signature.
  let latest: { inventory: Inventory; stateDir: string } | undefined;
  const refresh = coalesced(async () => (latest ? refreshBrokers(latest.inventory, latest.stateDir) : undefined));
  const refreshed = async (inventory: Inventory, stateDir: string): Promise<string | undefined> => {
    latest = { inventory, stateDir };
    try {
      const result = await refresh() as Awaited<ReturnType<typeof refreshBrokers>> | undefined;
      return result ? describeRefresh(result) : undefined;
    } catch (error) {
      // Signed all the same: the host keeps its certificate, and the next refresh (muster broker up, or any ca sign) lets it in.
      if (error instanceof MusterError) return `not refreshed: ${error.message}`;
      throw error;
    }
  };

  return {
    maxCsrBytes,
    async setup(inventory): Promise<AgentSetup | NoAgentSetup> {
      const servers = inventory.agents?.servers ?? [];
      if (servers.length === 0) return { missing: 'the inventory declares no agents (agents: servers: [tls://BROKER:4222], docs/agents.md)' };
      const ca = caPaths(stateDirFor(inventory, env)).cert;
      try {
        return { servers, caCert: await readFile(ca, 'utf8') };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        return { missing: `no fleet CA in serve's state folder (${ca} is missing: muster ca init, or run serve with the operator's MUSTER_STATE or agents.state)` };
      }
    },
    async enroll(inventory, host, csrPem, remote): Promise<EnrollOutcome> {
      const stateDir = stateDirFor(inventory, env);
      try {
        const selector = inventory.agents?.autosign;
        const autosign = selector !== undefined && select(inventory, [selector], { allStates: true }).hosts.some((h) => h.name === host);
        const certified = await certifyCsr(stateDir, csrPem, {
          name: host, what: `the CSR from ${remote}`, autosign,
          hostNames: new Set(inventory.hosts.map((h) => h.name)), source: { via: 'provision', address: remote },
        });
        if (certified.kind === 'pending') return { kind: 'pending' };
        const { record } = certified;
        // Signed now, or already: either way the brokers must know the user before the agent connects.
        return { kind: certified.kind, certificate: await readFile(record.path, 'utf8'), serial: record.serial, ...brokersField(await refreshed(inventory, stateDir)) };
      } catch (error) {
        // The CA's refusals, and a bad autosign selector, are the request's answer; anything else is a 500.
        if (error instanceof CsrRefusedError || error instanceof SelectorError) return { kind: 'refused', message: error.message };
        throw error;
      }
    },
  };
}

function brokersField(brokers: string | undefined): { brokers?: string } {
  return brokers === undefined ? {} : { brokers };
}
