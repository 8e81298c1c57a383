/**
 * What the agent's tests share: a test broker with an agent identity and an operator, the
 * agent's folder laid out as docs/agent.md says, an operator connection with its inbox
 * prefix, and a command.run request followed to its last reply.
 */
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { agentSubject, inboxPrefix, streamHeader, type CallReply, type CommandReply } from '../transport/nats/protocol.js';
import { openssl, startTestBroker, type TestBroker } from '../transport/nats/testBroker.test-helper.js';

/** A test broker knowing agents `hosts` and operator `alice`. */
export function brokerFor(hosts: string[]): Promise<TestBroker> {
  return startTestBroker([...hosts.map((name) => ({ name, kind: 'agent' as const })), { name: 'alice', kind: 'operator' }]);
}

/** An agent folder for `name` with the broker's certificate files and agent.json. */
export function agentDir(broker: TestBroker, name: string, roles: string[] = []): string {
  // Inside the broker's folder: broker.stop() removes it, keys and all.
  const dir = mkdtempSync(join(broker.dir, `agent-${name}-`));
  const files = broker.files(name);
  copyFileSync(files.cert, join(dir, 'agent.crt'));
  copyFileSync(files.key, join(dir, 'agent.key'));
  // The agent refuses a key others may read.
  chmodSync(join(dir, 'agent.key'), 0o600);
  copyFileSync(files.ca, join(dir, 'ca.crt'));
  writeFileSync(join(dir, 'agent.json'), JSON.stringify({ name, servers: [broker.url], roles }));
  return dir;
}

/** Operator alice's connection (replies come to `muster.inbox.alice.…`). */
export function operator(broker: TestBroker): Promise<NatsConnection> {
  const files = broker.files('alice');
  return connect({ servers: broker.url, tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca }, inboxPrefix: inboxPrefix('alice') });
}

/** One plain call; the raw payload is sent as it is when it is a string or bytes. */
export async function call(nc: NatsConnection, host: string, module: string, action: string, payload: unknown = { v: 1, args: {} }): Promise<CallReply> {
  const data = typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
  const reply = await nc.request(agentSubject(host, module, action), data, { timeout: 10_000 });
  return reply.json<CallReply>();
}

/** Everything a command.run sent back, in order. */
export interface CommandTrace {
  replies: Array<CommandReply | { chunk: 'stdout' | 'stderr'; data: Buffer }>;
  stdout: Buffer;
  stderr: Buffer;
  last: CommandReply;
  beats: number;
}

/**
 * Sends a command.run request (and `afterSend`'s messages, e.g. stdin chunks) and gathers
 * the replies until `exit` or `error`. `onReply` sees each as it comes (to cancel mid-run).
 */
export async function runCommand(nc: NatsConnection, host: string, request: Record<string, unknown>, options: { afterSend?: () => void; onReply?: (reply: CommandReply) => void; timeoutMs?: number } = {}): Promise<CommandTrace> {
  const inbox = createInbox(inboxPrefix('alice'));
  const trace: CommandTrace = { replies: [], stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), last: { t: 'beat' }, beats: 0 };
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let sub: { unsubscribe(): void } | undefined;
  const ended = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`command did not end in time; replies so far: ${JSON.stringify(trace.replies.slice(-5))}`)), options.timeoutMs ?? 30_000);
    sub = nc.subscribe(inbox, {
      callback: (_error, msg: Msg) => {
        const stream = msg.headers?.get(streamHeader);
        if (stream === 'stdout' || stream === 'stderr') {
          const data = Buffer.from(msg.data);
          (stream === 'stdout' ? stdout : stderr).push(data);
          trace.replies.push({ chunk: stream, data });
          return;
        }
        const reply = msg.json<CommandReply>();
        trace.replies.push(reply);
        if (reply.t === 'beat') trace.beats += 1;
        options.onReply?.(reply);
        if (reply.t === 'exit' || reply.t === 'error') {
          trace.last = reply;
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await nc.flush();
  nc.publish(agentSubject(host, 'command', 'run'), JSON.stringify({ v: 1, ...request }), { reply: inbox });
  options.afterSend?.();
  try {
    await ended;
  } finally {
    sub?.unsubscribe();
  }
  trace.stdout = Buffer.concat(stdout);
  trace.stderr = Buffer.concat(stderr);
  return trace;
}

export { openssl };

/** openssl ca's time format, `YYYYMMDDHHMMSSZ`. */
export function caTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z`;
}

/**
 * Replaces agent folder `dir`'s certificate with one for `cn`, the same key, and the given
 * validity (`caTime`), signed by the broker's CA with `openssl ca` (`openssl x509 -req` cannot
 * backdate; `-not_after` is openssl 3.4). The work folder is inside the broker's.
 */
export function signWithDates(broker: TestBroker, dir: string, cn: string, start: string, end: string): void {
  const work = mkdtempSync(join(broker.dir, 'ca-'));
  writeFileSync(join(work, 'index.txt'), '');
  writeFileSync(join(work, 'serial'), '1000\n');
  writeFileSync(join(work, 'ca.cnf'), [
    '[ca]', 'default_ca = here', '[here]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial',
    'default_md = sha256', 'policy = any', 'unique_subject = no', '[any]', 'organizationName = optional',
    'organizationalUnitName = optional', 'commonName = supplied', '',
  ].join('\n'));
  openssl(work, ['req', '-new', '-key', join(dir, 'agent.key'), '-subj', `/O=muster/OU=agent/CN=${cn}`, '-out', 'agent.csr']);
  openssl(work, ['ca', '-batch', '-config', 'ca.cnf', '-cert', join(broker.dir, 'ca.crt'), '-keyfile', join(broker.dir, 'ca.key'),
    '-in', 'agent.csr', '-out', join(dir, 'agent.crt'), '-startdate', start, '-enddate', end, '-notext', '-preserveDN']);
}
