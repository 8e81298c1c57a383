/**
 * One request in, its replies out, with no NATS in sight (the daemon gives it messages and a
 * publisher): the size, JSON and version checks every request goes through, the routing by
 * the subject's last two tokens (`…<module>.<action>`), and the one log line per request.
 *
 * Every refusal is a reply, never a crash: too large (`maxRequestBytes`) → `too-large`, not
 * JSON or not an object → `bad-request`, another `v` → `version`, a module or action this
 * agent lacks → `unknown-module`. `command.run` gets them as `{ t: 'error' }` (what its caller
 * waits for), every other call as `{ ok: false }`.
 *
 * The log line: time, who (the operator whose inbox the reply goes to, `-` for none), the
 * call, its outcome and its duration. Never arguments: a command line, stdin or file data may
 * hold a secret (command.run logs the line's length and sha256 prefix).
 */
import { maxRequestBytes, protocolVersion, type AgentError, type CallReply } from '../transport/nats/protocol.js';
import { CommandRunner, type CommandSink } from './command.js';
import { ModuleError, type AgentModule } from './module.js';

/** A request as the daemon received it. */
export interface Incoming {
  subject: string;
  reply?: string | undefined;
  data: Uint8Array;
}

/** What replies go through: NATS in the daemon. */
export interface Publisher extends CommandSink {
  /** Publishes one JSON reply to `reply`. */
  json(reply: string, value: unknown): void;
}

/** The operator a reply subject belongs to (`muster.inbox.<operator>.…`), decoded; `-` when it is no operator's inbox. */
export function operatorOf(reply: string | undefined): string {
  const match = reply ? /^muster\.inbox\.([^.]+)\./.exec(reply) : null;
  if (!match?.[1]) return '-';
  try {
    return decodeURIComponent(match[1]);
  } catch {
    // A token that is not valid %XX: show it as it came.
    return match[1];
  }
}

/** Turns requests into replies for one agent. */
export class Dispatcher {
  readonly commands: CommandRunner;
  private readonly stopping = new AbortController();

  constructor(
    private readonly host: string,
    private readonly modules: ReadonlyMap<string, AgentModule>,
    private readonly publisher: Publisher,
    private readonly log: (line: string) => void,
  ) {
    this.commands = new CommandRunner(host, publisher, log);
  }

  /** Aborts the signal every running module call sees (the drain's grace is over). */
  abortCalls(): void {
    this.stopping.abort(new Error(`agent on ${this.host} is stopping`));
  }

  /** Handles one request to the end (a command: until its exit was sent). Never rejects. */
  async handle(message: Incoming): Promise<void> {
    const started = performance.now();
    const tokens = message.subject.split('.');
    const call = `${tokens.at(-2) ?? '?'}.${tokens.at(-1) ?? '?'}`;
    const who = operatorOf(message.reply);
    const line = (outcome: string, detail = ''): void =>
      this.log(`${who} ${call} ${outcome} ${Math.round(performance.now() - started)}ms${detail ? ` ${detail}` : ''}`);
    const isRun = call === 'command.run';
    const refuse = (error: AgentError): void => {
      if (message.reply) {
        if (isRun) this.publisher.control(message.reply, { t: 'error', host: this.host, error });
        else this.publisher.json(message.reply, { ok: false, host: this.host, error } satisfies CallReply);
      }
      line(`error ${error.code}`);
    };
    if (message.data.length > maxRequestBytes) return refuse({ code: 'too-large', message: `request of ${message.data.length} bytes is larger than the ${maxRequestBytes} an agent takes` });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(message.data).toString('utf8'));
    } catch (error) {
      return refuse({ code: 'bad-request', message: `request is not JSON: ${(error as Error).message}` });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse({ code: 'bad-request', message: 'request is not a JSON object' });
    const record = body as Record<string, unknown>;
    // command.stdin and command.cancel carry no version (protocol.ts: StdinChunk, { id }).
    if (call === 'command.stdin') {
      const problem = this.commands.stdin(record);
      if (problem) refuse({ code: 'bad-request', message: problem });
      else if (message.reply) this.publisher.json(message.reply, { ok: true, host: this.host, value: {} } satisfies CallReply);
      return;
    }
    if (call === 'command.cancel') {
      const id = typeof record['id'] === 'string' ? record['id'] : '';
      const cancelled = this.commands.cancel(id);
      if (message.reply) this.publisher.json(message.reply, { ok: true, host: this.host, value: { cancelled } } satisfies CallReply);
      line(cancelled ? 'ok' : 'ok (no such command)');
      return;
    }
    if (record['v'] !== protocolVersion) return refuse({ code: 'version', message: `request version ${JSON.stringify(record['v'])} is not this agent's protocol version ${protocolVersion}` });
    if (isRun) {
      if (!message.reply) return refuse({ code: 'bad-request', message: 'command.run needs a reply subject' });
      const ran = await this.commands.run(record, message.reply);
      return line(ran.outcome, ran.detail);
    }
    const [moduleName, actionName] = call.split('.') as [string, string];
    const module = this.modules.get(moduleName);
    const action = module && Object.hasOwn(module.actions, actionName) ? module.actions[actionName] : undefined;
    if (!action) {
      const known = module ? Object.keys(module.actions).join(', ') : [...this.modules.keys(), 'command'].join(', ');
      return refuse({ code: 'unknown-module', message: module ? `module ${moduleName} has no action ${actionName} (it has: ${known})` : `no module ${moduleName} on this agent (it has: ${known})` });
    }
    const args = record['args'] ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return refuse({ code: 'bad-request', message: 'args must be a JSON object' });
    let reply: CallReply;
    try {
      const value = await action(args as Record<string, unknown>, { host: this.host, signal: this.stopping.signal, log: this.log });
      reply = { ok: true, host: this.host, value: value ?? null };
    } catch (error) {
      if (!(error instanceof ModuleError)) this.log(`${call}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      reply = { ok: false, host: this.host, error: error instanceof ModuleError ? { code: error.code, message: error.message } : { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
    }
    if (message.reply) this.publisher.json(message.reply, reply);
    line(reply.ok ? 'ok' : `error ${reply.error.code}`);
  }
}
