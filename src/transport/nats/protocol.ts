/**
 * The wire contract between `muster agent` and the operator's muster (docs/agents.md,
 * "Subjects" and "Messages"). Both sides import it; nothing else may spell a subject.
 */

/** The version every request carries as `v`. */
export const protocolVersion = 1;

/** A request larger than this is answered with an error (the broker's max_payload is larger, so the agent sees it). */
export const maxRequestBytes = 1024 * 1024;

/** Stdin larger than this is sent after the request, in chunks of this size. */
export const stdinChunkBytes = 256 * 1024;

/** A running command sends a beat this often, so the caller can tell a live agent from a dead one. */
export const beatIntervalMs = 1000;

/** A caller that hears nothing from a running command for this long gives the host up (`unreachable`). */
export const agentSilenceMs = 5000;

/** The header that marks an output chunk and names its stream. */
export const streamHeader = 'Muster-Stream';

export { subjectToken, agentSubject, roleSubject, inboxPrefix } from '../../core/subjects.js';

/** Why a module call failed, as the agent reports it. */
export type AgentErrorCode = 'bad-request' | 'too-large' | 'unknown-module' | 'unsupported' | 'failed' | 'version';

export interface AgentError {
  code: AgentErrorCode;
  message: string;
}

/** A plain module request (`ping`, `facts`, `file`, `service`). */
export interface CallRequest {
  v: number;
  args?: Record<string, unknown>;
}

/** The one reply to a plain module request. */
export type CallReply =
  | { ok: true; host: string; value: unknown }
  | { ok: false; host: string; error: AgentError };

/** `command.run`'s request. */
export interface CommandRequest {
  v: number;
  /** Chosen by the caller; names the command in `command.stdin` and `command.cancel`. */
  id: string;
  command: string;
  sudo?: boolean;
  /** Stdin that fits in one message, base64. */
  stdin?: string;
  /** When set, stdin of this many bytes follows in `command.stdin` messages; the command waits for them. */
  stdinBytes?: number;
}

/** One message of stdin sent after a `command.run` request. */
export interface StdinChunk {
  id: string;
  seq: number;
  /** base64 */
  data: string;
  end?: boolean;
}

/**
 * `command.alive`: the caller of command `id` still waits. Sent every `beatIntervalMs` while
 * a command runs (no reply); an agent that hears none for `agentSilenceMs * 2` stops the
 * command as `command.cancel` does, so a command whose caller is gone does not run on.
 */
export interface CommandAlive {
  id: string;
}

/** The control replies of `command.run` (output chunks are raw bytes with the stream header). */
export type CommandReply =
  | { t: 'start'; host: string }
  | { t: 'beat' }
  | { t: 'exit'; host: string; exitCode: number | null; signal: string | null }
  | { t: 'error'; host: string; error: AgentError };
