/**
 * The operator's side of hosts that join (docs/join.md): the requests hosts filed in the
 * inventory bucket (`pending.<HOST>`), and the answer `muster admit` gives one
 * (`joined.<HOST>`: its certificate), which also takes its request away.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { MusterError } from '../../core/errors.js';
import { joinedKey, kvBucket, kvName, pendingKey, type JoinAnswer, type JoinRequest } from '../../core/fleetKv.js';

/** The bucket, opened; a bucket that is not there yet is one line saying how it comes to be. */
export async function openInventoryBucket(nc: NatsConnection): Promise<KV> {
  try {
    return await new Kvm(nc).open(kvBucket);
  } catch (error) {
    const message = (error as Error).message;
    if (/not found/i.test(message)) throw new MusterError(`The inventory bucket "${kvBucket}" does not exist yet: muster publish makes it`, { cause: error });
    if (/permission/i.test(message)) throw new MusterError(`The broker does not let this operator read the inventory bucket: ${message}`, { cause: error });
    throw new MusterError(`Cannot open the inventory bucket "${kvBucket}": ${message}`, { cause: error });
  }
}

/** Every request to join in the bucket, oldest first. A record that is not one (edited by hand) is skipped. */
export async function pendingJoins(kv: KV): Promise<JoinRequest[]> {
  const found: JoinRequest[] = [];
  for await (const key of await kv.keys('pending.*')) {
    const request = await pendingJoin(kv, kvName(key.slice('pending.'.length)));
    if (request) found.push(request);
  }
  return found.sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : 0));
}

/** One host's request to join, if it filed one (and it reads as one, for that name). */
export async function pendingJoin(kv: KV, name: string): Promise<JoinRequest | undefined> {
  const entry = await kv.get(pendingKey(name));
  if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
  try {
    const request = entry.json<JoinRequest>();
    if (request.name !== name || typeof request.csr !== 'string') return undefined;
    return { name, csr: request.csr, facts: typeof request.facts === 'object' && request.facts !== null ? request.facts : {}, requestedAt: String(request.requestedAt) };
  } catch {
    return undefined;
  }
}

/** Answers an admitted host (its certificate, roles and brokers), then takes its request away. */
export async function answerJoin(kv: KV, answer: JoinAnswer): Promise<void> {
  await kv.put(joinedKey(answer.name), JSON.stringify(answer));
  await kv.delete(pendingKey(answer.name));
}
