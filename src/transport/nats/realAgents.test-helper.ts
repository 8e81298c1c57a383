/**
 * Real `muster agent`s for the nats transport's and the CLI's tests, on a test broker
 * (testBroker.test-helper.ts) that knows each agent's identity: in this process
 * (`startAgent`, with its log lines kept) where the test only needs answers, or as a child
 * process (`node bin/muster.js agent run --dir D`) where a fault is needed: SIGSTOP makes a
 * silent agent, SIGKILL an agent killed mid-command. A spy connection (an identity the broker
 * lets see everything) records the requests to some subjects and their reply subjects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { agentDir } from '../../agent/agentFixture.test-helper.js';
import { startAgent, type AgentDaemon } from '../../agent/daemon.js';
import { musterBin } from '../../cli/commands/cli.test-helper.js';
import { agentSubject, inboxPrefix } from './protocol.js';
import type { TestBroker } from './testBroker.test-helper.js';

/** Agents started in this process; `lines` is their log, each line prefixed with the host. */
export interface InProcessAgents {
  lines: string[];
  stop(): Promise<void>;
}

/** Starts one real agent per host (each its own folder and certificate) in this process. */
export async function startAgents(broker: TestBroker, hosts: readonly string[]): Promise<InProcessAgents> {
  const lines: string[] = [];
  const agents: AgentDaemon[] = await Promise.all(hosts.map((host) => startAgent({
    dir: agentDir(broker, host), log: (line) => void lines.push(`${host} ${line}`), handleSignals: false, graceMs: 1000,
  })));
  return {
    lines,
    async stop() {
      await Promise.all(agents.map((agent) => agent.stop()));
    },
  };
}

/** A real agent running as its own process. */
export interface AgentProcess {
  child: ChildProcess;
  /** Its stderr so far. */
  log(): string;
  /** Kills it (SIGKILL, also when stopped) and resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * Starts `muster agent run --dir D` for `host` and resolves once it answers `ping.get` to
 * `nc` (so its subscription is registered with the broker: stopping it now makes a silent agent).
 */
export async function startAgentProcess(broker: TestBroker, host: string, nc: NatsConnection): Promise<AgentProcess> {
  const child = spawn(process.execPath, [musterBin, 'agent', 'run', '--dir', agentDir(broker, host)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const connected = new Promise<void>((ready, fail) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('connected to')) ready();
    });
    void exited.then(() => fail(new Error(`the agent of ${host} exited before connecting: ${log}`)));
  });
  const agent: AgentProcess = {
    child,
    log: () => log,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await connected;
    // It subscribes right after saying so: a request racing it gets "no responders", then the next is answered.
    for (let attempt = 0; ; attempt++) {
      try {
        // An agent answers only a reply subject under muster.inbox.: the connection given may have another prefix.
        await nc.request(agentSubject(host, 'ping', 'get'), JSON.stringify({ v: 1, args: {} }), { timeout: 10_000, noMux: true, reply: createInbox(inboxPrefix('alice')) });
        return agent;
      } catch (error) {
        if (attempt >= 50 || !/no responders/i.test((error as Error).message)) throw error;
      }
    }
  } catch (error) {
    await agent.kill();
    throw error;
  }
}

/** Every request the broker carried to the watched subject: `subject` and its reply subject. */
export interface Spy {
  seen: Array<{ subject: string; reply?: string }>;
  /** Resolves once every message sent so far has reached the spy too. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches `subject` as identity `name` (one with no permission limits on the test broker).
 * The spy is a subscriber, so a request to a host with no agent no longer gets "no
 * responders" while it watches that host: watch only hosts that have one, and close it after.
 */
export async function startSpy(broker: TestBroker, name: string, subject: string): Promise<Spy> {
  const files = broker.files(name);
  const nc = await connect({ servers: broker.url, tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca } });
  const seen: Spy['seen'] = [];
  nc.subscribe(subject, { callback: (_error, msg) => void seen.push({ subject: msg.subject, ...(msg.reply ? { reply: msg.reply } : {}) }) });
  await nc.flush();
  return { seen, sync: () => nc.flush(), close: () => nc.close() };
}
