/**
 * The `nats` transport: hosts reached through their agents (docs/agents.md). ONE broker
 * connection per transport, opened by the first `connect` and shared by every session (a
 * request is a message on it, so 5,000 hosts cost 5,000 messages, not 5,000 handshakes);
 * `close()` ends it when the operation is over.
 *
 * `connect(target)` asks the host's agent `ping.get`: no agent subscribed (NATS "no
 * responders") → `ConnectError` `refused`, at once (`unreachable`); no answer within
 * `connectTimeoutMs` → `NoAnswerError` (`timeout`); an answer from another host →
 * `ConnectError` naming both. A session's `exec` is exec.ts's `command.run` sequence; `call`
 * any plain module.
 *
 * Failures of the whole operation (`failure()`): the broker connection could not be opened,
 * or the broker refused this operator a call. The CLI says those once instead of per host.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { followingAbort } from '../../core/onAbort.js';
import { MusterError } from '../../core/errors.js';
import { ConnectError, type ConnectOptions, type ExecOptions, type ExecResult, type Session, type Target, type Transport } from '../types.js';
import { BrokerConnectError, openBroker, type BrokerOptions } from './broker.js';
import { execOnAgent, type ExecTiming } from './exec.js';
import { callAgent, Link, type CallOptions } from './link.js';
import { agentSilenceMs, inboxPrefix, type CallReply } from './protocol.js';
import { Replies } from './replies.js';

export interface NatsTransportOptions extends Omit<BrokerOptions, 'connectTimeoutMs'> {
  /** How long an agent has to answer `ping.get` (and the broker connection to open); default 5 s. */
  connectTimeoutMs?: number;
  /** A running command silent this long is given up (`unreachable`); default `agentSilenceMs`. */
  silenceMs?: number;
  /** How often a waiting exec sends `command.alive`; default `beatIntervalMs` (tests may lower it). */
  aliveIntervalMs?: number;
  /** How long a module call (`call`) may take when its caller gives no signal; default 30 s. */
  callTimeoutMs?: number;
}

/** How long an agent has to answer `ping.get` unless told: the same silence that gives up a running command. */
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
  /** Calls `module.action` on the agent of `target` (no ping first) and resolves with its reply, ok or not. */
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
  const silenceMs = options.silenceMs ?? agentSilenceMs;
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
      const pong = await callAgent(shared, target, 'ping', 'get', {}, { timeoutMs: connectTimeoutMs, signal: connectOptions.signal });
      if (!pong.ok) throw new ConnectError(target.name, 'other', `the agent of ${target.name} refused ping.get: ${pong.error.message}`);
      return session(shared, target, { silenceMs, ...(options.aliveIntervalMs === undefined ? {} : { aliveIntervalMs: options.aliveIntervalMs }) }, call);
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

function session(shared: Link, target: Target, timing: ExecTiming, call: NatsTransport['call']): NatsSession {
  const running = new Set<AbortController>();
  return {
    target,
    async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      // close() stops what still runs: each exec listens to its own controller too.
      const { controller: own, release } = followingAbort(options.signal);
      running.add(own);
      try {
        return await execOnAgent(shared, target, command, { ...options, signal: own.signal }, timing);
      } finally {
        release();
        running.delete(own);
      }
    },
    call: (module, action, args, options) => call(target, module, action, args, options),
    close() {
      for (const controller of running) controller.abort(new ConnectError(target.name, 'closed', `session with ${target.name} closed`));
      running.clear();
    },
  };
}
