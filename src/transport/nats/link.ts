/**
 * One request with one reply over the shared connection (`ping.get`, `facts.get`, any plain
 * module), and what every request shares: the reply mux, the operator's name, and the calls
 * the broker has refused this operator (asked once; every later request for the same call
 * fails at once instead of sending 5,000 messages the broker will refuse one by one).
 *
 * The outcomes of a request, as docs/agents.md gives them: NATS "no responders" (a message
 * with status 503: no agent subscribes to that host) → `ConnectError` `refused`; nothing
 * within the timeout → `NoAnswerError` (the run layer's `timeout`); the broker refusing the
 * publish → `BrokerRefusedError`; a reply naming another host → `ConnectError` naming both.
 */
import { nuid, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { formatDuration } from '../../core/duration.js';
import { ConnectError, NoAnswerError, type Target } from '../types.js';
import { onAbort } from '../../core/onAbort.js';
import { AgentReplyError, BrokerRefusedError, callOf } from './errors.js';
import { agentSubject, protocolVersion, type CallReply, type CallRequest } from './protocol.js';
import type { Replies } from './replies.js';

/** What the sessions of one transport share. */
export class Link {
  private readonly refusals = new Map<string, BrokerRefusedError>();
  // Command ids are one namespace per agent, shared by every caller: a nuid of this connection
  // makes them unique, a counter tells its commands apart (a nuid per command cost more).
  private readonly idBase = nuid.next();
  private commands = 0;

  constructor(
    readonly nc: NatsConnection,
    readonly replies: Replies,
    readonly operator: string,
  ) {}

  /** A `command.run` id no other command of any caller has. */
  commandId(): string {
    return `${this.idBase}${(++this.commands).toString(36)}`;
  }

  /** The refusal of `call` (`command.run`), once the broker has refused it. */
  refusalOf(call: string): BrokerRefusedError | undefined {
    return this.refusals.get(call);
  }

  /** The refusal of the call a request subject names; nothing to split while none was refused (every request asks). */
  refusalFor(subject: string): BrokerRefusedError | undefined {
    return this.refusals.size === 0 ? undefined : this.refusals.get(callOf(subject));
  }

  /** Records that the broker refused a publish to `subject`, and returns the error every request for that call now gets. */
  refuse(subject: string): BrokerRefusedError {
    const call = callOf(subject);
    let error = this.refusals.get(call);
    if (!error) this.refusals.set(call, error = new BrokerRefusedError(this.operator, call));
    return error;
  }

  /** The first refusal, if any: the operation's failure rather than a host's. */
  firstRefusal(): BrokerRefusedError | undefined {
    return this.refusals.values().next().value;
  }
}

/** Is this message NATS's "no responders" (status 503, no payload)? */
export function isNoResponders(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.code === 503;
}

/** The message saying no agent is subscribed for the host. */
export function noAgent(host: string): ConnectError {
  return new ConnectError(host, 'refused', `no agent connected for ${host}`);
}

/** A reply from another host than the one asked: reported, never merged in. */
export function wrongHost(asked: string, answered: string): ConnectError {
  return new ConnectError(asked, 'other', `the agent asked for ${asked} answered as ${JSON.stringify(answered)}: reply not used`);
}

const utf8 = new TextDecoder();

/** Parses a JSON reply; a reply that is not JSON is the agent's fault, said once. */
export function parseReply(host: string, msg: Msg): unknown {
  try {
    // A decoder, not a Buffer view per reply: two replies per host of a fan-out.
    return JSON.parse(utf8.decode(msg.data));
  } catch {
    throw new ConnectError(host, 'other', `the agent of ${host} sent a reply that is not JSON`);
  }
}

export interface CallOptions {
  /** Give up when no reply came in this long (`NoAnswerError`). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Calls `module.action` of the agent of `target` with `args` and resolves with its one reply,
 * `ok` or not (an agent's `{ ok: false }` is the module's answer, not a transport failure).
 * Rejects as the file header says, or with the signal's reason when aborted.
 */
export async function callAgent(link: Link, target: Target, module: string, action: string, args: Record<string, unknown>, options: CallOptions): Promise<CallReply> {
  const msg = await requestOne(link, target, agentSubject(target.name, module, action), { v: protocolVersion, args } satisfies CallRequest, options);
  const reply = parseReply(target.name, msg) as Partial<CallReply> | null;
  if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean' || typeof reply.host !== 'string') {
    throw new ConnectError(target.name, 'other', `the agent of ${target.name} sent a reply that is not a module reply`);
  }
  if (reply.host !== target.name) throw wrongHost(target.name, reply.host);
  return reply as CallReply;
}

/** `callAgent`, but an `{ ok: false }` reply rejects (`AgentReplyError`) and an ok one resolves with its value. */
export async function callValue(link: Link, target: Target, module: string, action: string, args: Record<string, unknown>, options: CallOptions): Promise<unknown> {
  const reply = await callAgent(link, target, module, action, args, options);
  if (!reply.ok) throw new AgentReplyError(target.name, reply.error);
  return reply.value;
}

/** Publishes one request to `subject` and resolves with its first reply message. */
export function requestOne(link: Link, target: Target, subject: string, body: unknown, options: CallOptions): Promise<Msg> {
  const known = link.refusalFor(subject);
  if (known) return Promise.reject(known);
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Msg>((resolve, reject) => {
    let settled = false;
    const settle = (fail: unknown, msg?: Msg): void => {
      if (settled) return;
      settled = true;
      channel.close();
      clearTimeout(timer);
      stopWaiting();
      if (msg) resolve(msg);
      else reject(fail);
    };
    const channel = link.replies.channel({
      message: (msg) => settle(isNoResponders(msg) ? noAgent(target.name) : undefined, isNoResponders(msg) ? undefined : msg),
      refused: (to) => settle(link.refuse(to)),
      closed: (error) => settle(new ConnectError(target.name, 'closed', error.message)),
    });
    const stopWaiting = onAbort(signal, () => settle(signal?.reason));
    const timer = setTimeout(() => settle(new NoAnswerError(target.name, `the agent of ${target.name} did not answer within ${formatDuration(options.timeoutMs)}`)), options.timeoutMs);
    try {
      channel.publish(subject, JSON.stringify(body));
    } catch (error) {
      settle(new ConnectError(target.name, 'closed', `cannot send to the broker: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
  });
}
