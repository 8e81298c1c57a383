/**
 * `Session.exec` over an agent: the `command.run` sequence of protocol.ts on one reply
 * subject. The request goes with stdin inline when it fits one message; larger stdin follows
 * the agent's `start` as `command.stdin` chunks (the agent takes chunks only for a command it
 * runs). Then output chunks (header `Muster-Stream`), beats, and `exit`.
 *
 * Ends: `exit` → the result (output capped as ssh caps it, outputCapture.ts); `{ t: 'error' }`
 * → `AgentReplyError` with the agent's message; 503 → `ConnectError` `refused` (no agent
 * subscribed: `unreachable` at once); on a session whose agent has not answered yet, nothing
 * within `answerMs` → `NoAnswerError` (`timeout`: the agent is there but silent, as a ping
 * would have found; connect sends none, transport.ts); once it has, nothing for `silenceMs`
 * → `ConnectError` `closed` ("stopped answering": a running command beats every second);
 * the signal, or the session's close (`AgentState.running`) → `command.cancel`, a wait of
 * up to `cancelWaitMs` for the command's `exit` (the agent stops its process group: TERM, 2 s,
 * KILL), then `ExecAbortedError` with the output so far (the signal's reason itself when the
 * command had not started).
 *
 * While it waits it sends `command.alive { id }` every `aliveIntervalMs`: the agent stops a
 * command whose caller went quiet (a crash, a second Ctrl-C, a network cut) instead of
 * letting it run on as root.
 *
 * Per exec this costs one timer, whatever the messages: each message only notes when it came,
 * and the timer, when it fires, either finds the silence long enough, sends the alive that is
 * due, or waits again for what is left (thousands of execs at once re-armed a timer per
 * message, and kept an interval each, before).
 */
import type { Msg } from '@nats-io/transport-node';
import { performance } from 'node:perf_hooks';
import { execResult, OutputCapture } from '../outputCapture.js';
import { formatDuration } from '../../core/duration.js';
import { ConnectError, ExecAbortedError, NoAnswerError, type ExecOptions, type ExecResult, type Target } from '../types.js';
import { onAbort } from '../../core/onAbort.js';
import { AgentReplyError } from './errors.js';
import { isNoResponders, noAgent, parseReply, wrongHost, type Link } from './link.js';
import { agentSubject, beatIntervalMs, protocolVersion, stdinChunkBytes, streamHeader, type CommandAlive, type CommandReply, type CommandRequest, type StdinChunk } from './protocol.js';

/** How long an aborted command's `exit` is waited for after `command.cancel` (the agent's TERM-then-KILL takes 2 s). */
export const cancelWaitMs = 3000;

/** How many stdin chunks are published between two waits for the connection to flush (bounds what is buffered). */
const chunksPerFlush = 4;

export interface ExecTiming {
  /** Silence that gives the host up. */
  silenceMs: number;
  /** How long an agent not heard from yet on this session has to answer (`NoAnswerError`). */
  answerMs: number;
  /** How often `command.alive` goes while the command runs; default `beatIntervalMs`. */
  aliveIntervalMs?: number;
}

/** What a session knows of its agent, and what runs on it. */
export interface AgentState {
  /** Set once any request of the session was answered. */
  heard: boolean;
  /** The stop of every exec still running: the session's close calls each with its reason (no controller per exec). */
  running: Set<(reason: unknown) => void>;
}

/**
 * Runs `command` on the agent of `target` (see the file header for every ending); sets
 * `state.heard` once the agent answers, and is in `state.running` until it ends.
 */
export function execOnAgent(link: Link, target: Target, command: string, options: ExecOptions, timing: ExecTiming, state: AgentState): Promise<ExecResult> {
  const host = target.name;
  const known = link.refusalOf('command.run');
  if (known) return Promise.reject(known);
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const stdin = options.stdin === undefined ? undefined : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin);
  const stdout = new OutputCapture(options.maxOutputBytes, options.onStdout);
  const stderr = new OutputCapture(options.maxOutputBytes, options.onStderr);
  const aliveMs = timing.aliveIntervalMs ?? beatIntervalMs;

  const id = link.commandId();
  return new Promise<ExecResult>((resolve, reject) => {
    let started = false;
    let finished = false;
    let aborting: unknown;
    let timer: NodeJS.Timeout | undefined;
    let cancelTimer: NodeJS.Timeout | undefined;
    // When the agent was last heard (the request's sending counts as the start of its silence), and when the next alive is due.
    let heardAt = performance.now();
    let aliveAt = heardAt + aliveMs;
    let alive: string | undefined;
    // A consumer that returns a promise (fetch writing a file) gets its chunks one after
    // another, and the result only once it has taken the last one.
    let consumer: Promise<void> = Promise.resolve();
    let waiting = false;

    const partial = (): ExecResult => execResult(null, null, stdout, stderr);
    // Takes a function: the result (or the partial output an error keeps) is read only once
    // the consumer has taken every chunk that came before the end.
    const finish = (end: () => { result?: ExecResult; error?: unknown }): void => {
      if (finished) return;
      finished = true;
      channel.close();
      clearTimeout(timer);
      clearTimeout(cancelTimer);
      stopWaiting();
      state.running.delete(stop);
      const done = (): void => {
        const outcome = end();
        if (outcome.error !== undefined) reject(outcome.error);
        else resolve(outcome.result as ExecResult);
      };
      if (waiting) void consumer.then(done, done);
      else done();
    };
    // The one timer: the silence that ends the exec (answerMs until the agent was heard on this session, silenceMs after), or the next alive.
    const tick = (): void => {
      const now = performance.now();
      const quietMs = state.heard ? timing.silenceMs : timing.answerMs;
      if (now - heardAt >= quietMs) {
        // Unheard, the request may wait in a stopped agent's buffer: the cancel behind it stops it there.
        cancel();
        if (!state.heard) return finish(() => ({ error: new NoAnswerError(host, `the agent of ${host} did not answer within ${formatDuration(timing.answerMs)}`) }));
        return finish(() => ({ error: new ConnectError(host, 'closed', `agent on ${host} stopped answering (nothing for ${Math.round(timing.silenceMs / 1000)}s)`) }));
      }
      if (now >= aliveAt) {
        sendAlive();
        aliveAt = now + aliveMs;
      }
      timer = setTimeout(tick, Math.max(1, Math.min(heardAt + quietMs, aliveAt) - now));
    };
    const sendAlive = (): void => {
      alive ??= JSON.stringify({ id } satisfies CommandAlive);
      try {
        channel.publish(agentSubject(host, 'command', 'alive'), alive, { reply: false });
      } catch {
        // The connection is gone: the close ends this exec, and the agent's caller-silence stops the command.
      }
    };
    const cancel = (): void => {
      try {
        channel.publish(agentSubject(host, 'command', 'cancel'), JSON.stringify({ id }), { reply: false });
      } catch {
        // The connection is gone: so is any way to stop the command; the caller hears why from the close.
      }
    };
    const push = (capture: OutputCapture, chunk: Buffer): void => {
      if (waiting) {
        consumer = consumer.then(() => capture.push(chunk));
        return;
      }
      const wait = capture.push(chunk);
      if (wait instanceof Promise) {
        waiting = true;
        consumer = wait.then(() => undefined, () => undefined);
      }
    };
    // The signal's abort, or the session's close: each with its reason, the first one counts.
    const stop = (reason: unknown): void => {
      if (finished || aborting !== undefined) return;
      aborting = reason;
      cancel();
      if (!started) return finish(() => ({ error: aborting }));
      // Wait for the agent's exit, so a caller's next exec (a rollback) finds the command gone.
      cancelTimer = setTimeout(() => finish(() => ({ error: new ExecAbortedError(host, partial(), aborting) })), cancelWaitMs);
    };
    const sendStdin = async (data: Buffer): Promise<void> => {
      const subject = agentSubject(host, 'command', 'stdin');
      let seq = 0;
      for (let at = 0; at < data.length && !finished && aborting === undefined; at += stdinChunkBytes) {
        const end = at + stdinChunkBytes >= data.length;
        const chunk: StdinChunk = { id, seq, data: data.subarray(at, at + stdinChunkBytes).toString('base64'), ...(end ? { end: true } : {}) };
        channel.publish(subject, JSON.stringify(chunk), { reply: false });
        seq += 1;
        if (seq % chunksPerFlush === 0 && !end) await link.nc.flush();
      }
    };
    const onMessage = (msg: Msg): void => {
      if (finished) return;
      if (isNoResponders(msg)) return finish(() => ({ error: noAgent(host) }));
      state.heard = true;
      heardAt = performance.now();
      const stream = msg.headers?.get(streamHeader);
      if (stream === 'stdout' || stream === 'stderr') {
        push(stream === 'stdout' ? stdout : stderr, Buffer.from(msg.data));
        return;
      }
      let reply: CommandReply;
      try {
        reply = parseReply(host, msg) as CommandReply;
      } catch (error) {
        cancel();
        return finish(() => ({ error }));
      }
      switch (reply.t) {
        case 'start':
          if (reply.host !== host) {
            cancel();
            return finish(() => ({ error: wrongHost(host, reply.host) }));
          }
          started = true;
          if (stdin !== undefined && stdin.length > stdinChunkBytes) {
            sendStdin(stdin).catch((error: unknown) => {
              cancel();
              finish(() => ({ error: new ConnectError(host, 'closed', `cannot send stdin to ${host}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }) }));
            });
          }
          return;
        case 'beat':
          return;
        case 'exit':
          if (reply.host !== host) return finish(() => ({ error: wrongHost(host, reply.host) }));
          if (aborting !== undefined) return finish(() => ({ error: new ExecAbortedError(host, partial(), aborting) }));
          return finish(() => ({ result: execResult(reply.exitCode, reply.signal, stdout, stderr) }));
        case 'error':
          return finish(() => ({ error: new AgentReplyError(host, reply.error) }));
        default:
          return finish(() => ({ error: new ConnectError(host, 'other', `the agent of ${host} sent an unknown command reply`) }));
      }
    };

    const channel = link.replies.channel({
      message: onMessage,
      refused: (to) => {
        const refusal = link.refuse(to);
        finish(() => ({ error: refusal }));
      },
      closed: (error) => finish(() => ({ error: new ConnectError(host, 'closed', error.message) })),
    });
    const request: CommandRequest = {
      v: protocolVersion,
      id,
      command,
      ...(options.sudo ? { sudo: true } : {}),
      ...(stdin !== undefined && stdin.length > 0 && stdin.length <= stdinChunkBytes ? { stdin: stdin.toString('base64') } : {}),
      ...(stdin !== undefined && stdin.length > stdinChunkBytes ? { stdinBytes: stdin.length } : {}),
    };
    const stopWaiting = onAbort(signal, () => stop(signal?.reason));
    state.running.add(stop);
    timer = setTimeout(tick, Math.min(state.heard ? timing.silenceMs : timing.answerMs, aliveMs));
    try {
      channel.publish(agentSubject(host, 'command', 'run'), JSON.stringify(request));
    } catch (error) {
      finish(() => ({ error: new ConnectError(host, 'closed', `cannot send to the broker: ${error instanceof Error ? error.message : String(error)}`, { cause: error }) }));
    }
  });
}
