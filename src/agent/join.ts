/**
 * `muster agent join`: a host that is not in the inventory asks to join (docs/join.md). It makes
 * its key and CSR (enroll.ts: the key never leaves the host), connects with the join credential
 * the operator gave it (`join.crt`, `join.key`, `ca.crt` in the agent folder), files its request
 * with its facts as the bucket's `pending.<HOST>`, and waits until an operator's `muster admit`
 * answers in `joined.<HOST>`: its certificate, roles and brokers. It then writes agent.crt and
 * agent.json, and the agent runs as any other. The broker lets a join credential do nothing
 * else: write pending.*, read joined.* (src/broker/joinPermissions.ts).
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, Empty, type NatsConnection } from '@nats-io/transport-node';
import { MusterError } from '../core/errors.js';
import { joinedKey, kvBucket, pendingKey, type JoinAnswer, type JoinRequest } from '../core/fleetKv.js';
import { joinInboxPrefix } from '../core/subjects.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { agentPaths } from './config.js';
import { enroll } from './enroll.js';
import { gatherFacts } from './modules/facts.js';

/** What `joinFleet` takes. */
export interface JoinOptions {
  /** The name the host asks to join as (its certificate's CN once admitted). */
  name: string;
  dir: string;
  /** Broker URLs, `tls://host:port`. */
  servers: string[];
  log: (line: string) => void;
  /** How often the answer is looked for; default 2 s. */
  pollMs?: number;
  /** The request is filed again this often, should the bucket have lost it; default 60 s. */
  refileMs?: number;
  signal?: AbortSignal;
}

/** The join credential's files in the agent folder. */
export function joinCredential(dir: string): { cert: string; key: string; ca: string } {
  return { cert: join(dir, 'join.crt'), key: join(dir, 'join.key'), ca: join(dir, 'ca.crt') };
}

/**
 * Asks to join and waits for the answer; resolves once agent.crt and agent.json are written.
 * Rejects with a one-line MusterError when the credential is missing or refused, when the
 * answer's certificate is not for this host's key and name, or when `signal` aborts.
 */
export async function joinFleet(options: JoinOptions): Promise<JoinAnswer> {
  const credential = joinCredential(options.dir);
  for (const path of Object.values(credential)) {
    await readFile(path).catch(() => { throw new MusterError(`Cannot join: no readable ${path} (copy the join credential: muster ca sign --join NAME, docs/join.md)`); });
  }
  const enrolled = await enroll({ name: options.name, dir: options.dir, servers: options.servers });
  const request: JoinRequest = { name: options.name, csr: enrolled.csr, facts: { ...(await gatherFacts()) }, requestedAt: new Date().toISOString() };
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.servers,
      tls: { certFile: credential.cert, keyFile: credential.key, caFile: credential.ca },
      inboxPrefix: joinInboxPrefix,
      name: `muster join ${options.name}`,
      reconnect: true,
      maxReconnectAttempts: -1,
    });
  } catch (error) {
    throw new MusterError(`Cannot join: the broker (${options.servers.join(', ')}) refused the join credential or is not reachable: ${(error as Error).message}`, { cause: error });
  }
  try {
    await file(nc, request);
    options.log(`asked to join as ${options.name}; waiting for an operator (muster pending, muster admit ${options.name})`);
    let filedAt = Date.now();
    for (;;) {
      options.signal?.throwIfAborted();
      const answer = await answerFor(nc, options.name);
      if (answer) {
        await install(options.dir, answer);
        options.log(`admitted as ${options.name} (roles ${answer.roles.join(', ') || 'none'}): agent.crt and agent.json written`);
        return answer;
      }
      if (Date.now() - filedAt > (options.refileMs ?? 60_000)) {
        await file(nc, request);
        filedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000));
    }
  } finally {
    await nc.close();
  }
}

/** Puts the request into the bucket (a JetStream publish: the broker acknowledges it). */
async function file(nc: NatsConnection, request: JoinRequest): Promise<void> {
  const reply = await nc.request(`$KV.${kvBucket}.${pendingKey(request.name)}`, JSON.stringify(request), { timeout: 10_000 }).catch((error: unknown) => {
    throw new MusterError(`Cannot file the request to join: ${(error as Error).message} (is the inventory bucket there? muster publish makes it)`, { cause: error });
  });
  const ack = JSON.parse(reply.string() || '{}') as { error?: { description?: string } };
  if (ack.error) throw new MusterError(`Cannot file the request to join: ${ack.error.description ?? 'refused'}`);
}

/** The answer in `joined.<HOST>`, if there is one yet (a direct get of that key, the only one a join credential may read). */
async function answerFor(nc: NatsConnection, name: string): Promise<JoinAnswer | undefined> {
  const reply = await nc.request(`$JS.API.DIRECT.GET.KV_${kvBucket}.$KV.${kvBucket}.${joinedKey(name)}`, Empty, { timeout: 10_000 }).catch(() => undefined);
  // A missing key is a 404 status in the headers; a deleted one has an empty body.
  if (!reply || reply.headers?.code !== 0 || reply.data.length === 0) return undefined;
  return JSON.parse(reply.string()) as JoinAnswer;
}

/** Checks the answer is a certificate for this host's own key and name, then writes agent.crt and agent.json. */
async function install(dir: string, answer: JoinAnswer): Promise<void> {
  const paths = agentPaths(dir);
  const cert = new X509Certificate(answer.cert);
  const ours = createPublicKey(createPrivateKey(await readFile(paths.key, 'utf8'))).export({ type: 'spki', format: 'der' });
  if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(ours)) throw new MusterError(`The answer to ${answer.name}'s request is a certificate for another key: not installed`);
  if (!cert.subject.split('\n').includes(`CN=${answer.name}`)) throw new MusterError(`The answer to ${answer.name}'s request names ${cert.subject.replace(/\n/g, ', ')}: not installed`);
  await writeFileAtomic(paths.cert, answer.cert, { createMode: 0o644 });
  await writeFileAtomic(paths.config, `${JSON.stringify({ name: answer.name, servers: answer.servers, roles: answer.roles }, null, 2)}\n`, { createMode: 0o644 });
}
