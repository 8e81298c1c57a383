/**
 * The agent daemon: checks its folder (config.ts), connects out to the broker with mutual TLS,
 * subscribes to the requests for its host and its roles, and answers them (dispatch.ts).
 *
 * Connection: every server of agent.json, reconnecting forever (the broker restarting or a
 * network cut must never need a human on the host), `reconnectTimeWait` plus random jitter so
 * that thousands of agents do not all come back in the same millisecond.
 *
 * Stop (SIGTERM, SIGINT, `AgentDaemon.stop`): no new requests are taken — the subscriptions
 * for the host and its roles go, so callers get NATS "no responders" (`unreachable`) as from a
 * stopped agent, but `command.stdin`/`command.cancel` of the running commands still arrive —
 * then the running requests get `graceMs` to finish; what still runs then is killed (its
 * `exit` reply still goes out), the connection drains (everything published reaches the
 * broker) and closes. A second signal skips the grace. The certificate expiring while the
 * agent runs stops it the same way, with exit code 1 and the line that says to renew.
 */
import { connect, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { agentSubject, streamHeader } from '../transport/nats/protocol.js';
import { agentInboxPrefix, agentWildcard, roleWildcard, subjectToken } from '../core/subjects.js';
import { loadAgentConfig, type AgentConfig } from './config.js';
import { keepCopy, type CopyKeeper } from './copyKeeper.js';
import { Dispatcher, safeSubject, type Publisher } from './dispatch.js';
import { publishFacts } from './factsPublisher.js';
import { moduleTable, type AgentModule } from './module.js';
import { factsModule } from './modules/facts.js';
import { fileModule } from './modules/file.js';
import { pingModule } from './modules/ping.js';
import { serviceModule } from './modules/service.js';

/** Every plain module of the agent (`command` streams and is the dispatcher's own). */
export const agentModules: readonly AgentModule[] = [pingModule, fileModule, factsModule, serviceModule];

/** How long running requests may go on after a stop before they are killed. */
export const defaultGraceMs = 10_000;

/** Options of `startAgent`. */
export interface AgentOptions {
  /** The agent folder (agent.json, agent.key, agent.crt, ca.crt). */
  dir: string;
  /** Where log lines go; default stderr, each line prefixed with the time. */
  log?: (line: string) => void;
  graceMs?: number;
  /** A command whose caller sent no `command.alive` for this long is stopped; default `agentSilenceMs * 2` (tests lower it). */
  callerSilenceMs?: number;
  /** Stop on SIGTERM and SIGINT (default true; off for an agent run inside a test process). */
  handleSignals?: boolean;
  /** The local copy's folder (docs/publish.md); default agent.json's `copyDir`, else /etc/muster. */
  copyDir?: string;
  /** How soon the copy keeper watches again after no bucket or a watch that ended, and a failed facts put is tried again (default 5 s and 10 s; tests lower it). */
  copyRetryMs?: number;
}

/** A running agent. */
export interface AgentDaemon {
  readonly config: AgentConfig;
  /** The inventory's local copy this agent keeps. */
  readonly copy: CopyKeeper;
  /** Resolves with the exit code once the agent has stopped: 0 after a stop, 1 when its certificate expired. */
  readonly done: Promise<number>;
  /** Starts the stop sequence (see the file header); a second call skips the grace. Returns `done`. */
  stop(): Promise<number>;
}

/** The largest delay setTimeout takes (about 24.8 days); a longer wait is re-armed. */
const maxTimerMs = 2 ** 31 - 1;

function stderrLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

function publisherFor(nc: NatsConnection, log: (line: string) => void): Publisher {
  const send = (reply: string, data: string | Uint8Array, stream?: string): void => {
    try {
      if (stream === undefined) nc.publish(reply, data);
      else {
        const hdrs = headers();
        hdrs.set(streamHeader, stream);
        nc.publish(reply, data, { headers: hdrs });
      }
    } catch (error) {
      // Closed connection or a reply over max_payload: the caller will time out; say why here.
      log(`cannot send a reply to ${reply}: ${(error as Error).message}`);
    }
  };
  return {
    json: (reply, value) => {
      const text = JSON.stringify(value);
      const limit = nc.info?.max_payload ?? Infinity;
      if (Buffer.byteLength(text) <= limit) return send(reply, text);
      // A value the broker would refuse (max_payload): the caller gets why instead of a timeout.
      const host = (value as { host?: string }).host ?? '';
      send(reply, JSON.stringify({ ok: false, host, error: { code: 'too-large', message: `the reply of ${Buffer.byteLength(text)} bytes is larger than the broker's max_payload of ${limit}` } }));
    },
    control: (reply, message) => send(reply, JSON.stringify(message)),
    chunk: (reply, stream, data) => send(reply, data, stream),
    flush: () => nc.flush(),
  };
}

/**
 * Starts the agent of folder `options.dir`: resolves once it is connected and subscribed
 * (it keeps trying to connect until then). Rejects with an `AgentConfigError` for a folder or
 * certificate it cannot use, before any connection is tried.
 */
export async function startAgent(options: AgentOptions): Promise<AgentDaemon> {
  const log = options.log ?? stderrLog;
  const graceMs = options.graceMs ?? defaultGraceMs;
  const config = loadAgentConfig(options.dir);
  const hostToken = subjectToken(config.name);
  log(`muster-agent ${config.name}: connecting to ${config.servers.join(', ')}`);
  const nc = await connect({
    servers: config.servers,
    tls: { certFile: config.paths.cert, keyFile: config.paths.key, caFile: config.paths.ca },
    name: `muster-agent ${config.name}`,
    // The KV watch and JetStream replies come to an inbox only this agent may subscribe to.
    inboxPrefix: agentInboxPrefix(config.name),
    reconnect: true,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: 2000,
    reconnectJitter: 1000,
    reconnectJitterTLS: 2000,
  });
  log(`muster-agent ${config.name}: connected to ${nc.getServer()}; roles: ${config.roles.join(', ') || 'none'}`);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') log(`disconnected from ${status.server}; reconnecting`);
      else if (status.type === 'reconnect') {
        // The subscriptions went out before this status; after the flush's PONG the broker has
        // them, so the line means what it says: answering again.
        await nc.flush().catch(() => undefined);
        log(`reconnected to ${status.server}`);
      }
      else if (status.type === 'error') log(`broker error: ${status.error.message}`);
    }
  })();

  const addresses = { host: hostToken, roles: config.roles.map((role) => subjectToken(role)) };
  const commandOptions = options.callerSilenceMs === undefined ? {} : { callerSilenceMs: options.callerSilenceMs };
  const dispatcher = new Dispatcher(config.name, moduleTable(agentModules), publisherFor(nc, log), (line) => log(line), addresses, commandOptions);
  const inFlight = new Set<Promise<void>>();
  const take = (error: Error | null, msg: { subject: string; reply?: string; data: Uint8Array }): void => {
    if (error) {
      log(`subscription error: ${error.message}`);
      return;
    }
    // handle() promises never to reject; should it, one request must still not end the daemon.
    const handled = dispatcher.handle({ subject: msg.subject, reply: msg.reply, data: msg.data })
      .catch((failure: unknown) => log(`request to ${safeSubject(msg.subject)} failed: ${failure instanceof Error ? failure.message : String(failure)}`));
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  };
  const wide: Subscription[] = [
    nc.subscribe(agentWildcard(config.name), { callback: take }),
    ...config.roles.map((role) => nc.subscribe(roleWildcard(role), { callback: take })),
  ];
  await nc.flush();
  // The inventory's local copy and this host's facts (docs/publish.md): both keep trying
  // quietly while there is no bucket yet, and never hold up requests.
  const copyDir = options.copyDir ?? config.copyDir;
  const copy = keepCopy({ nc, host: config.name, log, ...(copyDir !== undefined ? { dir: copyDir } : {}), ...(options.copyRetryMs !== undefined ? { retryMs: options.copyRetryMs } : {}) });
  const facts = publishFacts({ nc, host: config.name, log, ...(options.copyRetryMs !== undefined ? { retryMs: options.copyRetryMs } : {}) });

  let hurry: () => void = () => undefined;
  const hurried = new Promise<void>((resolveHurry) => { hurry = resolveHurry; });
  let stopping: Promise<number> | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;

  const shutdown = async (code: number): Promise<number> => {
    clearTimeout(expiryTimer);
    log(`stopping: ${inFlight.size} request(s) running, up to ${graceMs} ms to finish`);
    facts.stop();
    await copy.stop();
    // The narrow subscriptions first: a cancel sent meanwhile must reach one of them.
    const narrow: Subscription[] = [];
    if (!nc.isClosed()) {
      for (const action of ['stdin', 'cancel', 'alive']) narrow.push(nc.subscribe(agentSubject(config.name, 'command', action), { callback: take }));
      for (const sub of wide) sub.unsubscribe();
      await settleWithin(nc.flush(), brokerWaitMs);
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((over) => { timer = setTimeout(over, graceMs); });
    const allDone = async (): Promise<void> => { while (inFlight.size > 0) await Promise.allSettled([...inFlight]); };
    await Promise.race([allDone(), graceOver, hurried]);
    clearTimeout(timer);
    if (inFlight.size > 0) {
      log(`killing ${dispatcher.commands.size} command(s) still running`);
      dispatcher.abortCalls();
      await dispatcher.commands.stopAll();
      await allDone();
    }
    if (!nc.isClosed()) {
      for (const sub of narrow) sub.unsubscribe();
      // Draining waits for the broker; one that is gone (or refuses us, reconnecting
      // forever) must not keep a stopped agent alive, so the connection is closed instead.
      await settleWithin(nc.drain().catch((error: Error) => log(`drain: ${error.message}`)), brokerWaitMs);
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    }
    log(`muster-agent ${config.name}: stopped`);
    return code;
  };
  const stop = (code: number): Promise<number> => {
    if (stopping) {
      hurry();
      return stopping;
    }
    stopping = shutdown(code);
    return stopping;
  };

  const armExpiry = (): void => {
    const left = config.notAfter.getTime() - Date.now();
    expiryTimer = setTimeout(() => {
      if (Date.now() < config.notAfter.getTime()) return armExpiry();
      log(`certificate ${config.paths.cert} of ${config.name} expired at ${config.notAfter.toISOString()}; renew: muster agent enroll --name ${config.name}, then muster ca sign ${config.name}`);
      void stop(1);
    }, Math.min(Math.max(left, 0) + 1000, maxTimerMs));
    // The expiry alone must not keep a process alive whose connection has closed.
    expiryTimer.unref();
  };
  armExpiry();

  let release: () => void = () => undefined;
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals): void => {
      log(`${signal} received`);
      void stop(0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    release = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }
  // The connection closing on its own (never, with endless reconnects, unless closed here) ends the agent too.
  const closed = nc.closed().then((error) => {
    if (error) log(`connection closed: ${error.message}`);
  });
  const done = (async (): Promise<number> => {
    await closed;
    release();
    return stopping ? await stopping : 1;
  })();
  return { config, copy, done, stop: () => stop(0) };
}

/** How long a stopping agent waits for the broker (a flush, the drain) before it gives up on it. */
const brokerWaitMs = 2000;

/** What `promise` settles to, or undefined once `ms` have passed without it (or when it rejects). */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolveLate) => { timer = setTimeout(() => resolveLate(undefined), ms); });
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
