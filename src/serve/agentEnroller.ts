/**
 * What `/v1/provision/{host}/enroll.sh` and `POST …/enroll` need of the fleet CA, as an
 * interface: serve may not import the CA, the brokers or the agent (the layer table), so
 * the CLI implements it (src/cli/serveEnroll.ts) and `muster serve` hands it to the server.
 * The route decides who may ask (netboot on, a reserved address); the enroller only files,
 * signs and answers, with the CA's own checks.
 */
import type { Inventory } from '../inventory/types.js';

/** What an enroll script embeds: the agent folder's public files. */
export interface AgentSetup {
  /** The fleet CA's certificate, PEM (the agent's `ca.crt`). */
  caCert: string;
  /** The brokers agents connect to (`agents.servers`). */
  servers: string[];
}

/** Why a server cannot enroll agents: one line naming what is missing. */
export interface NoAgentSetup {
  missing: string;
}

/** What became of a host's CSR. */
export type EnrollOutcome =
  /** Signed now (`agents.autosign` selects the host); the brokers were refreshed first. */
  | { kind: 'signed'; certificate: string; serial: string; brokers?: string }
  /** Its key already has an active certificate (signed by hand since, or a second run): that one. */
  | { kind: 'existing'; certificate: string; serial: string; brokers?: string }
  /** Filed, waiting for `muster ca sign HOST`. */
  | { kind: 'pending' }
  /** The CA refused it (wrong name, key rules, not a CSR): its one-line reason. */
  | { kind: 'refused'; message: string };

/** The fleet CA as the provisioning routes see it. */
export interface AgentEnroller {
  /** The largest request body taken (the CA's own cap on a CSR). */
  readonly maxCsrBytes: number;
  /** The public files an agent of `inventory` gets, or what is missing (no `agents.servers`, no CA). */
  setup(inventory: Inventory): Promise<AgentSetup | NoAgentSetup>;
  /**
   * Files `csrPem` for `host` (its source: provisioning, from `remote`), signs it when
   * `agents.autosign` selects the host, and says which. Rejects only for what is not the
   * request's fault (a bug, an unreadable CA): the route answers those 500.
   */
  enroll(inventory: Inventory, host: string, csrPem: string, remote: string): Promise<EnrollOutcome>;
}

/** Whether `setup` found what it needs. */
export function isAgentSetup(value: AgentSetup | NoAgentSetup): value is AgentSetup {
  return !('missing' in value);
}
