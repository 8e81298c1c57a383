/**
 * The agent's part of provisioning: `GET /v1/provision/{host}/enroll.sh` (the script the
 * installer runs in the installed system: enrollScript.ts) and `POST …/enroll` (its CSR).
 * Both only where serve can enroll agents (an enroller wired in, the inventory's
 * `agents.servers`, the fleet CA in serve's state folder), else a 404 naming what is missing.
 *
 * Who may file a CSR this way: a host being installed (a valid plan with netboot on; an
 * installed host cannot get a certificate from here), from one of its reserved interface
 * addresses (as autosign trusts a CSR fetched over SSH from the inventory address), with the
 * token or the host's key when serve has a token. The CA then checks the CSR itself (its name must be the host's)
 * and signs it at once only when `agents.autosign` selects the host. Every outcome is one
 * note in the access log (host, remote, outcome): never the CSR, the token or the key.
 */
import type { IncomingMessage } from 'node:http';
import type { Inventory } from '../inventory/types.js';
import type { ProvisionPlan } from '../provision/model.js';
import type { AccessLog } from './accessLog.js';
import { isAgentSetup, type AgentEnroller, type EnrollOutcome } from './agentEnroller.js';
import { enrollScript } from './enrollScript.js';
import type { Answer } from './handler.js';
import { RequestError } from './requestError.js';
import { textAnswer as text } from './textAnswer.js';
import { readBody } from './ui/body.js';

/** The files of this route under `/v1/provision/{host}/`. */
export const enrollFiles = { script: 'enroll.sh', csr: 'enroll' } as const;

/** Whether `file` is one of this route's. */
export function isEnrollFile(file: string): boolean {
  return file === enrollFiles.script || file === enrollFiles.csr;
}

/** One enroll request, as provisionRoute.ts has already read it. */
export interface EnrollRequest {
  req: IncomingMessage;
  inventory: Inventory;
  host: string;
  file: string;
  /** The host's provisioning, when it has a valid one. */
  plan: ProvisionPlan | undefined;
  /** The peer's address, IPv4-mapped prefix removed. */
  remote: string;
  /** The host's folder as the client reached the server, `http://H:P/v1/provision/HOST/` (`…/HOST/KEY/` when serve has keys): the script POSTs back there. */
  folder: string;
  enroller: AgentEnroller | undefined;
  log: AccessLog | undefined;
}

/** Answers `enroll.sh` or `enroll` (see the file comment). */
export async function enrollAnswer(request: EnrollRequest): Promise<Answer> {
  const { host, file, plan, remote, enroller } = request;
  const methods = file === enrollFiles.script ? ['GET', 'HEAD'] : ['POST'];
  if (!methods.includes(request.req.method ?? '')) {
    return text(405, `Method ${request.req.method ?? ''} not allowed on ${host}/${file} (${methods.join(', ')})\n`, { allow: methods.join(', ') });
  }
  const note = (outcome: string, fields: Record<string, string> = {}): void => {
    request.log?.note(`provision: ${file}`, { host, remote, outcome, ...fields });
  };
  if (!enroller) return text(404, `${host}: this server enrolls no agents (muster serve does, with the fleet CA in its state folder)\n`);
  const setup = await enroller.setup(request.inventory);
  if (!isAgentSetup(setup)) return text(404, `${host}: no agent enrollment here: ${setup.missing}\n`);
  if (!plan) return text(404, `No provisioning for ${host} (not in the inventory, or its provisioning is not valid)\n`);
  if (!plan.netboot.value) {
    note('refused: netboot off');
    return text(file === enrollFiles.script ? 404 : 409, `${host}: netboot is off (installed): an installed host's agent is enrolled with muster agent install ${host}\n`);
  }
  const reserved = plan.interfaces.flatMap((i) => (i.ip === undefined ? [] : [i.ip]));
  if (file === enrollFiles.script) {
    const script = enrollScript({
      host, roles: plan.host.roles, servers: setup.servers, caCert: setup.caCert,
      enrollUrl: `${request.folder}${enrollFiles.csr}`,
    });
    note('served', { from: reserved.includes(remote) ? 'its reserved address' : 'not its reserved address' });
    return text(200, script, { 'content-type': 'text/x-shellscript; charset=utf-8' });
  }
  if (!reserved.includes(remote)) {
    note('refused: not its reserved address');
    const which = reserved.length > 0 ? reserved.join(', ') : 'none: its interfaces all take DHCP';
    return text(403, `${host}: refused the CSR from ${remote}: only ${host}'s reserved addresses may send it (${which})\n`);
  }
  let csr: string;
  try {
    csr = (await readBody(request.req, enroller.maxCsrBytes)).toString('utf8');
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    note('refused: too large');
    return text(error.status, `${host}: ${error.message}\n`, error.headers);
  }
  const outcome = await enroller.enroll(request.inventory, host, csr, remote);
  note(outcome.kind, outcomeFields(outcome));
  switch (outcome.kind) {
    case 'signed':
    case 'existing':
      return text(200, outcome.certificate, { 'content-type': 'application/x-pem-file', 'x-muster-certificate': outcome.kind, 'x-muster-serial': outcome.serial });
    case 'pending':
      return text(202, `${host}: CSR pending (agents.autosign does not select ${host}); on the operator machine: muster ca sign ${host}, then muster agent install ${host}\n`);
    case 'refused':
      return text(409, `${host}: ${outcome.message}\n`);
  }
}

/** The log fields of an outcome beside its kind: the serial and the brokers' refresh, never the certificate. */
function outcomeFields(outcome: EnrollOutcome): Record<string, string> {
  if (outcome.kind !== 'signed' && outcome.kind !== 'existing') return {};
  return { serial: outcome.serial, ...(outcome.brokers ? { brokers: outcome.brokers } : {}) };
}
