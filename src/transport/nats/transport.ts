/**
 * The `nats` transport: hosts reached through their agents (docs/agents.md). ONE broker
 * connection per transport, opened by the first `connect` and shared by every session (a
 * request is a message on it, so 5,000 hosts cost 5,000 messages, not 5,000 handshakes);
 * `close()` ends it when the operation is over.
 *
 * `connect(target)` sends nothing to the host: a `ping.get` first would double the messages
 * of a fan-out (broker, agents and this process all pay per message) and tell nothing the
 * first request does not. The first request of a session gives the outcomes a ping gave: no
 * agent subscribed (NATS "no responders") → `ConnectError` `refused`, at once
 * (`unreachable`); nothing from the agent within `connectTimeoutMs` → `NoAnswerError`
 * (`timeout`); an answer from another host → `ConnectError` naming both. A session's `exec` is
 * exec.ts's `command.run` sequence (the agent's `start` comes at once: the answer); `call`
 * any plain module (see `session`). The broker's permissions, not a ping, keep a request for
 * a host from reaching any other agent: an agent may subscribe only to its own subjects.
 *
 * Failures of the whole operation (`failure()`): the broker connection could not be opened,
 * or the broker refused this operator a call. The CLI says those once instead of per host.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { followingAbort } from '../../core/onAbort.js';
import { MusterError } from '../../core/errors.js';
import { ConnectError, type ConnectOptions, type ExecOptions, type ExecResult, type Session, type Target, type Transport } from '../types.js';
import { BrokerConnectError, openBroker, type BrokerOptions } from './broker.js';
import { execOnAgent, type AgentState, type ExecTiming } from './exec.js';
import { callAgent, Link, type CallOptions } from './link.js';
import { agentSilenceMs, inboxPrefix, type CallReply } from './protocol.js';
import { Replies } from './replies.js';

export interface NatsTransportOptions extends Omit<BrokerOptions, 'connectTimeoutMs'> {
  /** How long an agent has to answer a session's first request (and the broker connection to open); default 5 s. */
  connectTimeoutMs?: number;
  /** A running command silent this long is given up (`unreachable`); default `agentSilenceMs`. */
  silenceMs?: number;
  /** How often a waiting exec sends `command.alive`; default `beatIntervalMs` (tests may lower it). */
  aliveIntervalMs?: number;
  /** How long a module call (`call`) may take when its caller gives no signal; default 30 s. */
  callTimeoutMs?: number;
}

/** How long an agent has to answer a session's first request unless told: the same silence that gives up a running command. */
export const defaultAgentConnectTimeoutMs = agentSilenceMs;
/** A module call's default bound. */
export const defaultCallTimeoutMs = 30_000;

/** Options of one module call. */
export interface NatsCallOptions {
  signal?: AbortSignal;
  /** Default: the transport's `callTimeoutMs`. */
  timeoutMs?: number;
}

/** The nats transport (see the file header). */
export interface NatsTransport extends Transport {
  readonly name: 'nats';
  connect(target: Target, options?: ConnectOptions): Promise<NatsSession>;
  /** Calls `module.action` on the agent of `target` (bounded by `callTimeoutMs` only) and resolves with its reply, ok or not. */
  call(target: Target, module: string, action: string, args?: Record<string, unknown>, options?: NatsCallOptions): Promise<CallReply>;
  /** The failure of the whole operation, if there was one (see the file header). */
  failure(): MusterError | undefined;
  close(): Promise<void>;
}

/** A session with one agent: exec as over ssh, and plain module calls. */
export interface NatsSession extends Session {
  call(module: string, action: string, args?: Record<string, unknown>, options?: NatsCallOptions): Promise<CallReply>;
}

/** Creates the nats transport; nothing is opened until the first `connect` or `call`. */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  const connectTimeoutMs = options.connectTimeoutMs ?? defaultAgentConnectTimeoutMs;
  const timing: ExecTiming = {
    silenceMs: options.silenceMs ?? agentSilenceMs,
    answerMs: connectTimeoutMs,
    ...(options.aliveIntervalMs === undefined ? {} : { aliveIntervalMs: options.aliveIntervalMs }),
  };
  let opening: Promise<Link> | undefined;
  let brokerError: BrokerConnectError | undefined;
  let connection: NatsConnection | undefined;
  let opened: Link | undefined;
  let closed = false;

  const link = (): Promise<Link> => {
    if (closed) return Promise.reject(new MusterError('the nats transport was closed'));
    opening ??= openBroker({ ...options, connectTimeoutMs: Math.max(connectTimeoutMs, 1000) }).then((nc) => {
      connection = nc;
      opened = new Link(nc, new Replies(nc, inboxPrefix(options.operator)), options.operator);
      void watch(nc, opened);
      return opened;
    }, (error: unknown) => {
      brokerError = error as BrokerConnectError;
      throw error;
    });
    return opening;
  };
  // Every session of a host fails the same way when the broker cannot be reached: as a
  // ConnectError (unreachable) per host, and once, as the operation's `failure()`.
  const linkFor = async (host: string): Promise<Link> => {
    try {
      return await link();
    } catch (error) {
      throw new ConnectError(host, 'other', error instanceof Error ? error.message : String(error), { cause: error });
    }
  };
  const call = async (target: Target, module: string, action: string, args: Record<string, unknown> = {}, how: NatsCallOptions = {}): Promise<CallReply> => {
    const shared = await linkFor(target.name);
    const callOptions: CallOptions = { timeoutMs: how.timeoutMs ?? options.callTimeoutMs ?? defaultCallTimeoutMs, signal: how.signal };
    return callAgent(shared, target, module, action, args, callOptions);
  };

  return {
    name: 'nats',
    call,
    async connect(target, connectOptions = {}) {
      const shared = await linkFor(target.name);
      if (closed) throw new ConnectError(target.name, 'closed', 'the nats transport was closed');
      if (connectOptions.signal?.aborted) throw connectOptions.signal.reason;
      return session(shared, target, timing, call);
    },
    failure: () => brokerError ?? opened?.firstRefusal(),
    async close() {
      closed = true;
      // A connection still opening would open after this and leak: wait for it, then close it.
      if (opening) await opening.catch(() => undefined);
      const nc = connection;
      if (nc && !nc.isClosed()) await nc.close();
    },
  };
}

/** Routes the connection's asynchronous news to the requests: refusals, and the end. */
async function watch(nc: NatsConnection, shared: Link): Promise<void> {
  void nc.closed().then((error) => {
    shared.replies.end(new MusterError(error ? `the connection to the broker closed: ${error.message}` : 'the connection to the broker closed'));
  });
  for await (const status of nc.status()) {
    if (status.type !== 'error') continue;
    const error = status.error as Error & { operation?: string; subject?: string };
    if (error.name === 'PermissionViolationError' && error.operation === 'publish' && error.subject) shared.replies.refusedPublish(error.subject);
  }
}

/**
 * A session: nothing was asked at connect, so until the agent has answered once (`heard`) a
 * request must also tell a missing or silent agent apart, within `answerMs`, as the ping
 * did. `exec` does it with the `start` the agent sends at once. A plain module call has no
 * such first word (a module may take long to answer), so its first one goes with a
 * `ping.get` beside it, sent at the same time: the ping's failure (no agent, silence, another
 * host) is the call's; a `ping.get` call is its own ping.
 */
function session(shared: Link, target: Target, timing: ExecTiming, call: NatsTransport['call']): NatsSession {
  const state: AgentState = { heard: false, running: new Set() };
  return {
    target,
    exec: (command: string, options: ExecOptions = {}): Promise<ExecResult> => execOnAgent(shared, target, command, options, timing, state),
    async call(module, action, args = {}, how = {}) {
      if (state.heard) return call(target, module, action, args, how);
      let reply: CallReply;
      if (module === 'ping' && action === 'get') {
        reply = await call(target, module, action, args, { ...how, timeoutMs: Math.min(timing.answerMs, how.timeoutMs ?? Infinity) });
      } else {
        const { controller: own, release } = followingAbort(how.signal);
        // The ping's failure ends the call (its reason is the call's error); its success changes nothing.
        callAgent(shared, target, 'ping', 'get', {}, { timeoutMs: timing.answerMs, signal: own.signal }).then(undefined, (error: unknown) => own.abort(error));
        try {
          reply = await call(target, module, action, args, { ...how, signal: own.signal });
        } finally {
          release();
          own.abort(pingNoLongerNeeded);
        }
      }
      state.heard = true;
      return reply;
    },
    close() {
      // The engine closes every session; most have nothing running (an error's stack is not free).
      if (state.running.size === 0) return;
      const closed = new ConnectError(target.name, 'closed', `session with ${target.name} closed`);
      for (const stop of [...state.running]) stop(closed);
    },
  };
}

/** Why a call's companion ping is stopped once the call has its answer (nobody sees it). */
const pingNoLongerNeeded = new MusterError('the call was answered');
