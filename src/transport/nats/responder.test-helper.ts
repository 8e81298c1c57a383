/**
 * A minimal agent for the transport's tests, following protocol.ts: one NATS connection
 * answering for many hosts (a subscription per host, so a host it does not serve gets NATS
 * "no responders"), `ping.get`, an `echo.args` module, and `command.run` with real
 * `/bin/sh` processes (output chunks, beats, exit, inline and chunked stdin, cancel killing
 * the process group). Kept in this one file so the real agent (src/agent/) can replace it.
 *
 * Misbehaviour on demand, per host: `silent` (subscribed, never answers), `mute-after-start`
 * (answers `start` to a command, then nothing, no beats), `impostor` (answers as another host).
 */
import { spawn } from 'node:child_process';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { beatIntervalMs, streamHeader, subjectToken, type CallReply, type CommandReply } from './protocol.js';

export type Behaviour = 'ok' | 'silent' | 'mute-after-start' | 'impostor';

export interface ResponderOptions {
  url: string;
  files: { cert: string; key: string; ca: string };
  hosts: string[];
  behaviour?: (host: string) => Behaviour;
  /** Beat interval; default the protocol's. */
  beatMs?: number;
}

export interface Responder {
  nc: NatsConnection;
  /** Requests seen, by `host module.action`. */
  seen: string[];
  /** The reply subjects' prefixes (all but the last token): one per caller's reply mux, i.e. per connection. */
  replyPrefixes: Set<string>;
  /** Commands currently running (by id). */
  running(): number;
  stop(): Promise<void>;
}

interface Running {
  pid: number;
  write(data: Buffer, end: boolean): void;
}

/** Starts the responder and resolves once every host's subscription is registered with the broker. */
export async function startResponder(options: ResponderOptions): Promise<Responder> {
  const nc = await connect({ servers: options.url, tls: { certFile: options.files.cert, keyFile: options.files.key, caFile: options.files.ca } });
  const seen: string[] = [];
  const replyPrefixes = new Set<string>();
  const commands = new Map<string, Running>();
  const behaviour = options.behaviour ?? (() => 'ok');
  const beatMs = options.beatMs ?? beatIntervalMs;
  const json = (reply: string | undefined, value: unknown): void => {
    if (reply) nc.publish(reply, JSON.stringify(value));
  };
  for (const host of options.hosts) {
    nc.subscribe(`muster.agent.${subjectToken(host)}.>`, {
      callback: (_error, msg) => {
        const call = msg.subject.split('.').slice(-2).join('.');
        seen.push(`${host} ${call}`);
        if (msg.reply) replyPrefixes.add(msg.reply.slice(0, msg.reply.lastIndexOf('.')));
        const mode = behaviour(host);
        if (mode === 'silent') return;
        const as = mode === 'impostor' ? `${host}-impostor` : host;
        handle(msg, call, as, mode);
      },
    });
  }
  await nc.flush();

  function handle(msg: Msg, call: string, host: string, mode: Behaviour): void {
    const body = JSON.parse(Buffer.from(msg.data).toString('utf8')) as Record<string, unknown>;
    if (call === 'ping.get') return json(msg.reply, { ok: true, host, value: { host } } satisfies CallReply);
    if (call === 'echo.args') return json(msg.reply, { ok: true, host, value: body['args'] ?? null } satisfies CallReply);
    if (call === 'fail.now') return json(msg.reply, { ok: false, host, error: { code: 'failed', message: `it failed on ${host}` } } satisfies CallReply);
    if (call === 'command.stdin') {
      const chunk = body as { id: string; data: string; end?: boolean };
      commands.get(chunk.id)?.write(Buffer.from(chunk.data, 'base64'), chunk.end === true);
      return;
    }
    if (call === 'command.cancel') {
      const pid = commands.get(body['id'] as string)?.pid;
      if (pid !== undefined) try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
      return;
    }
    if (call === 'command.run' && msg.reply) return run(msg.reply, body, host, mode);
    json(msg.reply, { ok: false, host, error: { code: 'unknown-module', message: `no ${call} here` } } satisfies CallReply);
  }

  function run(reply: string, body: Record<string, unknown>, host: string, mode: Behaviour): void {
    const control = (message: CommandReply): void => json(reply, message);
    const child = spawn('/bin/sh', ['-c', String(body['command'])], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const id = String(body['id']);
    child.stdin.on('error', () => undefined);
    commands.set(id, { pid: child.pid ?? -1, write: (data, end) => (end ? child.stdin.end(data) : child.stdin.write(data)) });
    control({ t: 'start', host });
    if (mode === 'mute-after-start') return;
    if (typeof body['stdin'] === 'string') child.stdin.end(Buffer.from(body['stdin'], 'base64'));
    else if (body['stdinBytes'] === undefined) child.stdin.end();
    const beat = setInterval(() => control({ t: 'beat' }), beatMs);
    const forward = (stream: 'stdout' | 'stderr') => (data: Buffer): void => {
      const hdrs = headers();
      hdrs.set(streamHeader, stream);
      nc.publish(reply, data, { headers: hdrs });
    };
    child.stdout.on('data', forward('stdout'));
    child.stderr.on('data', forward('stderr'));
    child.once('close', (exitCode, signal) => {
      clearInterval(beat);
      commands.delete(id);
      control({ t: 'exit', host, exitCode, signal });
    });
  }

  return {
    nc,
    seen,
    replyPrefixes,
    running: () => commands.size,
    async stop() {
      for (const { pid } of commands.values()) try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
      if (!nc.isClosed()) await nc.close();
    },
  };
}
