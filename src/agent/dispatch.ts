/**
 * One request in, its replies out, with no NATS in sight (the daemon gives it messages and a
 * publisher): the subject and reply checks, the size, JSON and version checks every request
 * goes through, the routing by the subject (exactly `muster.(agent|role).<own token>.<module>.<action>`,
 * `callOf`), and the one log line per request.
 *
 * A request whose reply subject is not `muster.inbox.<operator>.…` is dropped with one log line
 * and no reply (the agent may publish to whatever reply subject a request names, so it names
 * only inboxes); only `command.stdin`, `command.cancel` and `command.alive` may come without one.
 *
 * Every refusal is a reply, never a crash: too large (`maxRequestBytes`) → `too-large`, not
 * JSON or not an object → `bad-request`, another `v` → `version`, a module or action this
 * agent lacks → `unknown-module`, a subject not routed to this agent → `bad-request`. `command.run` gets them as `{ t: 'error' }` (what its caller
 * waits for), every other call as `{ ok: false }`.
 *
 * The log line: time, who (the raw operator token of the reply inbox, `-` for none: the inbox
 * the request names, so the one operator who can read the answer, not a verified sender), the
 * call, its outcome and its duration. Never arguments: a command line, stdin or file data may
 * hold a secret (command.run logs the line's length and sha256 prefix).
 */
import { maxRequestBytes, protocolVersion, type AgentError, type CallReply } from '../transport/nats/protocol.js';
import { subjectToken } from '../transport/nats/protocol.js';
import { CommandRunner, isRequestId, type CommandRunnerOptions, type CommandSink } from './command.js';
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

/** What an agent answers to: its host token and its role tokens (`subjectToken`). */
export interface Addresses {
  host: string;
  roles: readonly string[];
}

/**
 * The module and action a request subject names, or undefined for a subject this agent must
 * refuse: exactly `muster.(agent|role).<token>.<module>.<action>` (5 tokens), the token its
 * own host token (`agent`) or one of its role tokens (`role`). Anything longer (`….ping.command.run`,
 * which a `ping` grant once let through) names no call: the action is never read from the tail.
 */
export function callOf(subject: string, addresses: Addresses): { module: string; action: string } | undefined {
  const tokens = subject.split('.');
  if (tokens.length !== 5 || tokens[0] !== 'muster') return undefined;
  const [, kind, token, module, action] = tokens as [string, string, string, string, string];
  const mine = kind === 'agent' ? token === addresses.host : kind === 'role' ? addresses.roles.includes(token) : false;
  if (!mine || !module || !action) return undefined;
  return { module, action };
}

/**
 * The operator token of a reply subject `muster.inbox.<token>.<rest>`, or undefined when the
 * subject is no operator's inbox. Only such a reply is answered: `allow_responses` lets the
 * agent publish to whatever reply subject a request names (another agent's request subject,
 * another operator's inbox), and an inbox subject is one only its operator may read.
 */
export function inboxOf(reply: string | undefined): string | undefined {
  const match = reply ? /^muster\.inbox\.([A-Za-z0-9_%-]+)\.[^\s]+$/.exec(reply) : null;
  return match?.[1];
}

/**
 * Who a log line names: the raw operator token of the reply inbox (never decoded, so `%0A`
 * stays three characters and cannot start a forged line), `-` for none, `?` for a token of
 * other characters. It is the inbox the request names (only that operator can read the
 * answer), not a verified sender.
 */
export function operatorOf(reply: string | undefined): string {
  const match = reply ? /^muster\.inbox\.([^.]+)\./.exec(reply) : null;
  if (!match?.[1]) return '-';
  return /^[A-Za-z0-9_%-]+$/.test(match[1]) ? match[1] : '?';
}

/** A subject as a log line may show it: JSON-escaped (no newline or control byte gets through), at most 200 characters. */
export function safeSubject(subject: string | undefined): string {
  if (subject === undefined) return '-';
  const text = JSON.stringify(subject.length > 200 ? `${subject.slice(0, 200)}…` : subject);
  return text;
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
    private readonly addresses: Addresses = { host: subjectToken(host), roles: [] },
    commandOptions: CommandRunnerOptions = {},
  ) {
    this.commands = new CommandRunner(host, publisher, log, commandOptions);
  }

  /** Aborts the signal every running module call sees (the drain's grace is over). */
  abortCalls(): void {
    this.stopping.abort(new Error(`agent on ${this.host} is stopping`));
  }

  /** Handles one request to the end (a command: until its exit was sent). Never rejects. */
  async handle(message: Incoming): Promise<void> {
    const started = performance.now();
    const routed = callOf(message.subject, this.addresses);
    const call = routed ? `${routed.module}.${routed.action}` : 'refused';
    // No reply goes anywhere but an operator's inbox, and nothing is taken without one but
    // what a running command's caller sends without a reply (stdin, cancel, alive).
    // nats.js gives a message published without a reply subject an empty one.
    const replyless = !message.reply && (call === 'command.stdin' || call === 'command.cancel' || call === 'command.alive');
    const inbox = inboxOf(message.reply);
    if (inbox === undefined && !replyless) {
      this.log(`- dropped a request to ${safeSubject(message.subject)}: its reply subject ${safeSubject(message.reply)} is no muster.inbox.<operator>. subject`);
      return;
    }
    // The inbox's operator token when there is one; a replyless message names nobody.
    const who = inbox ?? '-';
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
    if (!routed) return refuse({ code: 'bad-request', message: `subject ${safeSubject(message.subject)} is not muster.agent.${this.addresses.host}.<module>.<action> or a role of this agent` });
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
    if (call === 'command.alive') {
      // The caller is still waiting (protocol.ts `CommandAlive`); no reply, no log line (one a second per command).
      if (typeof record['id'] === 'string' && isRequestId(record['id'])) this.commands.alive(record['id']);
      return;
    }
    if (call === 'command.cancel') {
      const id = typeof record['id'] === 'string' ? record['id'] : '';
      if (!isRequestId(id)) return refuse({ code: 'bad-request', message: 'command.cancel needs an id of 1 to 64 letters, digits, _ or -' });
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
    const { module: moduleName, action: actionName } = routed;
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
