/**
 * The agent's folder (`--dir`, default /etc/muster-agent; docs/agent.md): `agent.json`
 * `{ name, servers, roles, copyDir? }`, `agent.key` (0600), `agent.crt`, `ca.crt`, and `agent.csr`
 * once enrolled. `loadAgentConfig` reads and checks it all before the daemon connects, so a
 * bad certificate is one clear line at start rather than a TLS handshake failing forever.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MusterError } from '../core/errors.js';

/** Where the agent keeps its files unless `--dir` says otherwise. */
export const defaultAgentDir = '/etc/muster-agent';

/** The files of an agent folder. */
export interface AgentPaths {
  dir: string;
  config: string;
  key: string;
  cert: string;
  csr: string;
  ca: string;
}

/** The paths of the files in agent folder `dir`. */
export function agentPaths(dir: string): AgentPaths {
  return { dir, config: join(dir, 'agent.json'), key: join(dir, 'agent.key'), cert: join(dir, 'agent.crt'), csr: join(dir, 'agent.csr'), ca: join(dir, 'ca.crt') };
}

/** agent.json. */
export const agentJsonSchema = z.object({
  /** The host's inventory name: the certificate's CN and the subject token requests use. */
  name: z.string().min(1).max(253),
  servers: z.array(z.string().min(1)).min(1),
  roles: z.array(z.string().min(1)).default([]),
  /** Where the agent keeps the inventory's local copy (docs/publish.md); default /etc/muster. */
  copyDir: z.string().min(1).optional(),
}).strict();

/** An agent folder, read and checked. */
export interface AgentConfig {
  name: string;
  servers: string[];
  roles: string[];
  /** The local copy's folder, when agent.json names one (else the daemon's default, /etc/muster). */
  copyDir?: string;
  paths: AgentPaths;
  /** When the certificate stops being valid (the daemon stops then: the broker would refuse it anyway). */
  notAfter: Date;
}

/** The agent cannot start with its folder as it is: one line saying what to do. The CLI exits 1. */
export class AgentConfigError extends MusterError {
  override name = 'AgentConfigError';
}

function readText(file: string, what: string, hint: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AgentConfigError(`cannot read ${what} ${file} (${code ?? (error as Error).message}); ${hint}`, { cause: error });
  }
}

/** Reads agent.json of `dir`. */
export function readAgentJson(dir: string): z.infer<typeof agentJsonSchema> {
  const paths = agentPaths(dir);
  const text = readText(paths.config, 'the agent configuration', 'make it with: muster agent enroll --name HOST --servers URL');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError(`${paths.config} is not JSON: ${(error as Error).message}`);
  }
  const result = agentJsonSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AgentConfigError(`${paths.config}: ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** The CN of a certificate subject as node:crypto prints it (`O=muster\nOU=agent\nCN=web01`). */
function commonName(subject: string): string | undefined {
  return subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3);
}

/**
 * Checks the agent's certificate against its name, its CA and `now`: not yet valid, expired,
 * another CN, not issued by ca.crt, or not the pair of agent.key each throw an
 * `AgentConfigError` whose one line says which, and what to do.
 */
export function checkCertificate(name: string, paths: AgentPaths, now: Date = new Date()): Date {
  const renew = `renew: muster agent enroll --name ${name}, then muster ca sign ${name}`;
  const certText = readText(paths.cert, `the certificate of ${name}`, `enroll first: muster agent enroll --name ${name}, then muster ca sign ${name}`);
  const caText = readText(paths.ca, 'the fleet CA certificate', 'copy the CA\'s ca.crt there');
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certText);
  } catch (error) {
    throw new AgentConfigError(`certificate ${paths.cert} of ${name} does not parse (${(error as Error).message}); ${renew}`);
  }
  try {
    ca = new X509Certificate(caText);
  } catch (error) {
    throw new AgentConfigError(`CA certificate ${paths.ca} does not parse (${(error as Error).message})`);
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now.getTime() > notAfter.getTime()) throw new AgentConfigError(`certificate ${paths.cert} of ${name} expired at ${notAfter.toISOString()}; ${renew}`);
  if (now.getTime() < notBefore.getTime()) throw new AgentConfigError(`certificate ${paths.cert} of ${name} is not valid before ${notBefore.toISOString()} (is this host's clock right?)`);
  const cn = commonName(cert.subject);
  if (cn !== name) throw new AgentConfigError(`certificate ${paths.cert} names ${cn ?? 'no CN'}, not this agent's name ${name} (agent.json); ${renew}`);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new AgentConfigError(`certificate ${paths.cert} of ${name} was not issued by the CA in ${paths.ca}; ${renew}`);
  const keyText = readText(paths.key, `the key of ${name}`, `enroll again: muster agent enroll --name ${name}`);
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyText));
  } catch {
    // An unreadable key is reported as not matching (the key's text is never shown).
    matches = false;
  }
  if (!matches) throw new AgentConfigError(`certificate ${paths.cert} of ${name} is not the pair of the key ${paths.key}; ${renew}`);
  return notAfter;
}

/**
 * Refuses an agent.key that group or other may read or write (one line saying the chmod):
 * the key is the host's identity on the broker. A missing key is left to `checkCertificate`.
 */
export function checkKeyMode(key: string): void {
  let mode: number;
  try {
    mode = statSync(key).mode;
  } catch {
    return;
  }
  if ((mode & 0o077) !== 0) throw new AgentConfigError(`key ${key} may be read by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 ${key}`);
}

/** Reads agent folder `dir` and checks its certificate (see `checkCertificate`). */
export function loadAgentConfig(dir: string, now: Date = new Date()): AgentConfig {
  const json = readAgentJson(dir);
  const paths = agentPaths(dir);
  checkKeyMode(paths.key);
  const notAfter = checkCertificate(json.name, paths, now);
  return { name: json.name, servers: json.servers, roles: json.roles, ...(json.copyDir !== undefined ? { copyDir: json.copyDir } : {}), paths, notAfter };
}
