/**
 * `/v1/provision/{host}/{file}`: the installer's answer file for a host,
 * rendered from the current inventory as `muster provision sync` renders it
 * (404 for a host whose netboot is off, so an installed host cannot be
 * reinstalled from here by accident), each fetch logged with the host it was
 * for and whether it came from that host's reserved address; and
 * `POST /v1/provision/{host}/installed`, the installer's last step, which
 * sets `netboot: false` in the YAML. When serve has a token, each request
 * needs it (as a header or `?token=`) or the host's own key in the path,
 * `/v1/provision/{host}/{key}/{file}` (provision/hostKey.ts): installers use
 * the key, which sync puts into the kernel line and serve into the answer
 * file's URLs, so the fleet's token never leaves the operator's side.
 * `enroll.sh` and `POST …/enroll`, the agent's part, are enrollRoute.ts's.
 */
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { MusterError } from '../core/errors.js';
import { setNetboot } from '../inventory/editProvision.js';
import type { Inventory } from '../inventory/types.js';
import { hostUrl, installerFiles } from '../provision/bootConfigs.js';
import type { ProvisionKeys } from '../provision/hostKey.js';
import { installerFilesOf, templateCache } from '../provision/installer.js';
import { checkProvision, type ProvisionCheck } from '../provision/validate.js';
import type { AccessLog } from './accessLog.js';
import type { AgentEnroller } from './agentEnroller.js';
import type { BearerToken } from './bearerToken.js';
import { enrollAnswer, isEnrollFile } from './enrollRoute.js';
import type { Answer } from './handler.js';
import { textAnswer as text } from './textAnswer.js';

const prefix = '/v1/provision/';

/** What the route needs of the server. */
export interface ProvisionRouteState {
  inventory: Inventory;
  token?: BearerToken | undefined;
  /** The hosts' keys, from the same token (with it or not at all). */
  keys?: ProvisionKeys | undefined;
  log?: AccessLog | undefined;
  /** Whether the server speaks TLS (the URL templates see). */
  tls: boolean;
  /** The fleet CA, for enroll.sh and POST …/enroll (absent: those answer 404). */
  enroller?: AgentEnroller | undefined;
}

const checks = new WeakMap<Inventory, ProvisionCheck>();

/** The request target as logged: neither a `?token=` nor a host's key is written to the access log. */
export function withoutToken(url: string): string {
  const target = url.includes('token=') ? url.replace(/([?&]token=)[^&#]*/g, '$1…') : url;
  return target.startsWith(prefix) ? target.replace(/^(\/v1\/provision\/[^/?#]*\/)[^/?#]*(\/[^/?#]*)/, '$1…$2') : target;
}

/** Whether a request is this route's: the rest of the server never sees it. */
export function isProvisionRequest(url: string | undefined): boolean {
  return url !== undefined && url.startsWith(prefix);
}

/** Answers a `/v1/provision/` request (see the file comment). */
export async function provisionAnswer(req: IncomingMessage, state: ProvisionRouteState): Promise<Answer> {
  const url = new URL(req.url ?? '/', 'http://muster.invalid');
  const parts = url.pathname.slice(prefix.length).split('/').map((part) => decodeURIComponent(part));
  // HOST/FILE, or HOST/KEY/FILE as installers have it.
  const [hostName, file] = [parts[0], parts.at(-1)];
  const key = parts.length === 3 ? parts[1] : undefined;
  const queryToken = url.searchParams.get('token');
  const authorization = req.headers.authorization ?? (queryToken === null ? undefined : `Bearer ${queryToken}`);
  const byKey = key !== undefined && hostName !== undefined && state.keys?.accepts(hostName, key) === true;
  if (state.token && !byKey && !state.token.accepts(authorization)) return text(401, 'Missing or wrong bearer token (or key of this host)\n', { 'www-authenticate': 'Bearer realm="muster"' });
  if (parts.length < 2 || parts.length > 3 || hostName === undefined || file === undefined || hostName === '' || file === '') return text(404, `No such route: ${prefix}{host}/{file} or ${prefix}{host}/{key}/{file}\n`);
  const { inventory } = state;
  let check = checks.get(inventory);
  if (!check) {
    check = checkProvision(inventory);
    checks.set(inventory, check);
  }
  const plan = check.plans.find((p) => p.host.name === hostName);
  const remote = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '-';
  const reserved = plan?.interfaces.find((i) => i.ip === remote);
  const base = `${state.tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  if (isEnrollFile(file)) {
    // The script POSTs back with the host's key, whatever this request was accepted with.
    const folder = plan ? hostUrl(base, plan, state.keys) : `${base}${prefix}${encodeURIComponent(hostName)}/`;
    return enrollAnswer({ req, inventory, host: hostName, file, plan, remote, folder, enroller: state.enroller, log: state.log });
  }
  if (req.method === 'POST' && file === 'installed') {
    if (!inventory.hostsByName.has(hostName)) return text(404, `No host ${hostName}\n`);
    const path = inventory.files.length === 1 ? inventory.files[0] : dirname(inventory.files[0] ?? '.');
    try {
      const edit = await setNetboot({ host: hostName, netboot: false, ...(path !== undefined ? { path } : {}) });
      state.log?.note('provision: installed', { host: hostName, remote, netboot: 'false', written: edit.written.length });
      return text(200, `${hostName}: netboot false\n`);
    } catch (error) {
      if (error instanceof MusterError) return text(409, `${error.message}\n`);
      throw error;
    }
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, `Method ${req.method ?? ''} not allowed here (GET, or POST .../installed)\n`, { allow: 'GET, HEAD, POST' });
  if (!plan) return text(404, `No provisioning for ${hostName} (not in the inventory, or its provisioning is not valid)\n`);
  if (!plan.netboot.value) return text(404, `${hostName}: netboot is off (installed); muster provision enable ${hostName} to reinstall\n`);
  const rendered = installerFilesOf(inventory, plan, base, templateCache(inventory), state.keys);
  if (rendered.problems.length > 0) return text(500, `${rendered.problems.map((p) => p.message).join('; ')}\n`);
  const found = rendered.files.find((f) => f.name === file);
  if (!found) return text(404, `${hostName} has no ${file} (its installer serves ${rendered.files.map((f) => f.name).join(', ') || 'nothing'}; ${Object.values(installerFiles).join(', ')} by kind)\n`);
  // Which host fetched what: an installer whose address is not the host's reservation is worth a look.
  state.log?.note('provision: fetched', { host: hostName, file, remote, from: reserved ? `${hostName} ${reserved.name} ${reserved.mac}` : 'not its reserved address' });
  return text(200, found.text);
}
