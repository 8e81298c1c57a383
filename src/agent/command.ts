/**
 * `command.run`, `command.stdin` and `command.cancel` (docs/agents.md, "Messages"): the same
 * semantics as an exec over ssh. `/bin/sh -c COMMAND` (through `sudo -n` when asked, as
 * transport/sudo.ts wraps it) runs as the leader of a new session, with the HOME, USER and
 * PATH of the agent's user and nothing else of its environment, in HOME.
 *
 * The replies, all to the request's reply subject and in this order: `{ t: 'start' }` at once,
 * then output chunks as they come (raw bytes, header `Muster-Stream`, at most `maxChunkBytes`
 * each), `{ t: 'beat' }` every `beatIntervalMs` while it runs, and last `{ t: 'exit' }` once
 * the command has exited and its pipes closed (so every chunk went before it). A request that
 * cannot run gets one `{ t: 'error' }` instead.
 *
 * Output is not capped here (the caller keeps what it wants); reading stops while the
 * connection flushes every `flushEveryBytes`, so a command printing 200 MB is slowed to what
 * the broker takes instead of piling up in memory.
 *
 * Cancel (or the daemon's drain running out) stops the whole session: TERM, then KILL after
 * 2 s — transport/processGroup.ts's sequence, the one the ssh and local transports run.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import { z } from 'zod';
import { runChild } from '../transport/childProcess.js';
import { stopProcessGroup } from '../transport/processGroup.js';
import { sudoLine } from '../transport/sudo.js';
import { agentSilenceMs, beatIntervalMs, type AgentError, type CommandReply } from '../transport/nats/protocol.js';

/** The largest output chunk sent in one message. */
export const maxChunkBytes = 64 * 1024;
/** Output bytes sent between two waits for the connection to flush. */
export const flushEveryBytes = 4 * 1024 * 1024;
/** How long a command's chunked stdin may be silent before the command's stdin is closed. */
export const stdinSilenceMs = 60_000;

/** Where a running command's replies go; the daemon gives NATS, a test may give anything. */
export interface CommandSink {
  /** Publishes one control reply (JSON) to `reply`. */
  control(reply: string, message: CommandReply): void;
  /** Publishes one output chunk (raw bytes, with the stream header) to `reply`. */
  chunk(reply: string, stream: 'stdout' | 'stderr', data: Buffer): void;
  /** Resolves once what was published has gone to the broker. */
  flush(): Promise<void>;
}

/** What a request id (command.run, stdin, cancel, alive) may be: it is logged and used as a map key. */
export const requestIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** True for an id `requestIdPattern` takes. */
export function isRequestId(id: string): boolean {
  return requestIdPattern.test(id);
}

/** Options of a `CommandRunner`. */
export interface CommandRunnerOptions {
  /**
   * A running command whose caller sent no `command.alive` for this long is stopped as a
   * cancel stops it (its caller is gone: a second Ctrl-C, a crash, a network cut). Default
   * `agentSilenceMs * 2`; tests lower it.
   */
  callerSilenceMs?: number;
}

const idSchema = z.string().regex(requestIdPattern, 'an id of 1 to 64 letters, digits, _ or -');

const runSchema = z.object({
  v: z.number(),
  id: idSchema,
  // A NUL cannot be in an argv string: spawn would throw.
  command: z.string().min(1).refine((line) => !line.includes('\0'), 'a command cannot contain a NUL byte'),
  sudo: z.boolean().optional(),
  stdin: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64').optional(),
  stdinBytes: z.number().int().nonnegative().optional(),
});

const stdinSchema = z.object({ id: idSchema, seq: z.number().int(), data: z.string(), end: z.boolean().optional() });

/** How one command ended, for the daemon's log line. */
export interface CommandOutcome {
  /** `exit 0`, `signal SIGTERM`, `error bad-request`. */
  outcome: string;
  /** Safe to log: the command line's length and the start of its sha256, never the line itself (it may hold a secret). */
  detail: string;
}

interface Running {
  child: ChildProcess;
  sudo: boolean;
  stopping?: Promise<void>;
  lastSeq: number;
  stdinLeft: number;
  stdinTimer?: NodeJS.Timeout;
  callerTimer?: NodeJS.Timeout;
}

/** What `sh -c` runs with: the agent user's HOME, USER, LOGNAME and PATH only (a secret in the agent's environment stays there). */
export function commandEnvironment(): NodeJS.ProcessEnv {
  const user = userInfo();
  return {
    HOME: user.homedir,
    USER: user.username,
    LOGNAME: user.username,
    PATH: process.env['PATH'] || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
  };
}

/** TERM, up to 2 s, KILL, for the session of `sid` (under sudo when the command ran so); KILL of the group when the script cannot run. */
function killSession(sid: number, sudo: boolean): Promise<void> {
  return stopProcessGroup(sid, sudo, (line, signal) => runChild('sh', ['-c', line], { signal }), () => {
    try {
      process.kill(-sid, 'SIGKILL');
    } catch (error) {
      // ESRCH: already gone, which is what was wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  });
}

/** The running commands of one agent, by the caller's id. */
export class CommandRunner {
  private readonly running = new Map<string, Running>();
  /** Ids of commands that ended lately: stdin still in flight for them (`head -c 10` of a 100 MB stdin) is dropped without a word. */
  private readonly ended = new Set<string>();
  private readonly finished = new Set<Promise<CommandOutcome>>();

  private readonly callerSilenceMs: number;

  constructor(private readonly host: string, private readonly sink: CommandSink, private readonly log: (line: string) => void, options: CommandRunnerOptions = {}) {
    this.callerSilenceMs = options.callerSilenceMs ?? agentSilenceMs * 2;
  }

  /** How many commands are running. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Runs one `command.run` request (already JSON-parsed, version checked) and sends its replies to
   * `reply`. Resolves when the last reply was sent; never rejects (a failure is an error reply).
   */
  run(request: unknown, reply: string): Promise<CommandOutcome> {
    // Whatever start() throws (spawn refusing an argument, a kill that fails) must not become
    // an unhandled rejection: that would end the daemon and every command it runs.
    const done = this.start(request, reply).catch((error: unknown): CommandOutcome => {
      const message = error instanceof Error ? error.message : String(error);
      this.log(`command.run: unexpected failure: ${message}`);
      try {
        this.sink.control(reply, { t: 'error', host: this.host, error: { code: 'failed', message: `command.run failed on ${this.host}: ${message}` } });
      } catch {
        // The sink is gone too: the caller hears it from its own end.
      }
      return { outcome: 'error failed', detail: '' };
    });
    this.finished.add(done);
    void done.finally(() => this.finished.delete(done));
    return done;
  }

  private async start(request: unknown, reply: string): Promise<CommandOutcome> {
    const parsed = runSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.refuse(reply, { code: 'bad-request', message: `invalid command.run request: ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}` }, '');
    }
    const { id, command, sudo = false, stdin, stdinBytes } = parsed.data;
    const detail = `cmd=${Buffer.byteLength(command)}B:${createHash('sha256').update(command).digest('hex').slice(0, 12)}${sudo ? ' sudo' : ''}`;
    if (this.running.has(id)) return this.refuse(reply, { code: 'bad-request', message: `a command with id ${id} is already running on ${this.host}` }, detail);
    const env = commandEnvironment();
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn('/bin/sh', ['-c', sudoLine(command, sudo)], { detached: true, env, cwd: env['HOME'] ?? '/', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      return this.refuse(reply, { code: 'failed', message: `cannot start /bin/sh on ${this.host}: ${(error as Error).message}` }, detail);
    }
    const entry: Running = { child, sudo, lastSeq: -Infinity, stdinLeft: stdinBytes ?? 0 };
    this.running.set(id, entry);
    child.stdin.on('error', () => undefined); // EPIPE: the command does not read its stdin
    const spawned = await new Promise<Error | undefined>((ready) => {
      child.once('spawn', () => ready(undefined));
      child.once('error', (error) => ready(error));
    });
    if (spawned) {
      this.running.delete(id);
      return this.refuse(reply, { code: 'failed', message: `cannot start /bin/sh on ${this.host}: ${spawned.message}` }, detail);
    }
    // A later 'error' (a signal that could not be sent) must not go unheard: unhandled, it would end the agent.
    child.on('error', (error) => this.log(`command ${id}: ${error.message}`));
    this.sink.control(reply, { t: 'start', host: this.host });
    this.alive(id);
    if (stdin !== undefined) child.stdin.end(Buffer.from(stdin, 'base64'));
    else if (!stdinBytes) child.stdin.end();
    else this.armStdinTimer(id, entry);
    const beat = setInterval(() => this.sink.control(reply, { t: 'beat' }), beatIntervalMs);
    const streams = [child.stdout, child.stderr];
    let sinceFlush = 0;
    let flushing = false;
    const forward = (stream: 'stdout' | 'stderr') => (data: Buffer): void => {
      for (let at = 0; at < data.length; at += maxChunkBytes) this.sink.chunk(reply, stream, data.subarray(at, at + maxChunkBytes));
      sinceFlush += data.length;
      if (sinceFlush >= flushEveryBytes && !flushing) {
        flushing = true;
        sinceFlush = 0;
        for (const pipe of streams) pipe.pause();
        void this.sink.flush().catch(() => undefined).finally(() => {
          flushing = false;
          for (const pipe of streams) pipe.resume();
        });
      }
    };
    child.stdout.on('data', forward('stdout'));
    child.stderr.on('data', forward('stderr'));
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((closed) => child.once('close', (code, sig) => closed([code, sig])));
    clearInterval(beat);
    clearTimeout(entry.stdinTimer);
    clearTimeout(entry.callerTimer);
    // A stop that failed (EPERM from a setuid child) is logged; the exit still goes out.
    await entry.stopping?.catch((error: unknown) => this.log(`command ${id}: cannot stop it: ${error instanceof Error ? error.message : String(error)}`));
    this.running.delete(id);
    this.ended.add(id);
    if (this.ended.size > 1000) this.ended.delete(this.ended.values().next().value as string);
    this.sink.control(reply, { t: 'exit', host: this.host, exitCode, signal });
    return { outcome: signal ? `signal ${signal}` : `exit ${exitCode}`, detail };
  }

  private refuse(reply: string, error: AgentError, detail: string): CommandOutcome {
    this.sink.control(reply, { t: 'error', host: this.host, error });
    return { outcome: `error ${error.code}`, detail };
  }

  /** Chunked stdin that stops coming must not hold the command forever: its stdin is closed after `stdinSilenceMs`. */
  private armStdinTimer(id: string, entry: Running): void {
    clearTimeout(entry.stdinTimer);
    entry.stdinTimer = setTimeout(() => {
      this.log(`command ${id}: no stdin for ${stdinSilenceMs} ms with ${entry.stdinLeft} bytes still expected; closing its stdin`);
      entry.child.stdin?.end();
    }, stdinSilenceMs);
  }

  /**
   * Takes one `command.stdin` message. Chunks are written in the order they come (NATS keeps
   * one publisher's order); a repeated or older `seq` is dropped, so a chunk delivered twice
   * (two subscriptions during a drain) is written once. Stdin ends with `end` or once
   * `stdinBytes` arrived. Returns an error message for a chunk that fits no running command.
   *
   * Backpressure: a chunk is written even when the pipe is full (NATS delivery cannot be
   * paused per command); what the command has not read stays buffered here, bounded by the
   * `stdinBytes` its caller declared (an operator who may run commands is root anyway).
   */
  stdin(message: unknown): string | undefined {
    const parsed = stdinSchema.safeParse(message);
    if (!parsed.success) return 'invalid command.stdin message: needs { id, seq, data (base64), end? }';
    const { id, seq, data, end } = parsed.data;
    const entry = this.running.get(id);
    if (!entry) return this.ended.has(id) ? undefined : `no command with id ${id} is running on ${this.host}`;
    if (seq <= entry.lastSeq) return undefined;
    entry.lastSeq = seq;
    const bytes = Buffer.from(data, 'base64');
    entry.stdinLeft -= bytes.length;
    const stdin = entry.child.stdin;
    if (!stdin || stdin.writableEnded) return undefined;
    if (end || entry.stdinLeft <= 0) {
      clearTimeout(entry.stdinTimer);
      stdin.end(bytes);
    } else {
      stdin.write(bytes);
      this.armStdinTimer(id, entry);
    }
    return undefined;
  }

  /**
   * Takes one `command.alive`: the caller of command `id` still waits, so its caller-silence
   * timer starts again. Once `callerSilenceMs` pass without one the command is stopped as
   * `cancel` stops it. Unknown ids are ignored.
   */
  alive(id: string): void {
    const entry = this.running.get(id);
    if (!entry || entry.stopping) return;
    clearTimeout(entry.callerTimer);
    entry.callerTimer = setTimeout(() => {
      this.log(`command ${id}: no command.alive from its caller for ${this.callerSilenceMs} ms; stopping it`);
      this.stop(entry);
    }, this.callerSilenceMs);
  }

  /** Stops command `id`'s whole session (TERM, 2 s, KILL); false when no such command runs. Its `exit` reply follows as usual. */
  cancel(id: string): boolean {
    const entry = this.running.get(id);
    if (!entry) return false;
    this.stop(entry);
    return true;
  }

  private stop(entry: Running): void {
    const pid = entry.child.pid;
    if (entry.stopping || pid === undefined) return;
    clearTimeout(entry.callerTimer);
    // killSession can throw synchronously (EPERM) or reject: either is a rejected `stopping`, awaited (and logged) in start().
    entry.stopping = Promise.resolve().then(() => killSession(pid, entry.sudo));
    entry.stopping.catch(() => undefined);
  }

  /** Resolves once no command runs (those running now have sent their `exit`). */
  async idle(): Promise<void> {
    while (this.finished.size > 0) await Promise.allSettled([...this.finished]);
  }

  /** Stops every running command and resolves once each has sent its `exit`. */
  async stopAll(): Promise<void> {
    for (const entry of this.running.values()) this.stop(entry);
    await this.idle();
  }
}
