/**
 * The one interface every transport (ssh, openssh, local; later nats) implements.
 * A session is one connection to one host, reused by every step of an operation.
 */
import { MusterError } from '../core/errors.js';

/** Where to connect. Built from an inventory host; optional fields fall back to ssh_config, then OpenSSH defaults. */
export interface Target {
  /** The inventory name; ssh_config `Host` patterns are matched against it. */
  name: string;
  address: string;
  user?: string;
  port?: number;
  /** An ssh_config file to honour in addition to ~/.ssh/config (the inventory's `ssh_config`). */
  sshConfig?: string;
  /** The transport the inventory names for this host (its `muster_transport` variable); `--transport` overrides it. */
  transport?: string;
}

/**
 * What one `connect` call takes. How to connect (timeout, host-key policy) is not here: each
 * transport is given that once, by its factory's options, for every connection it makes.
 */
export interface ConnectOptions {
  /** Aborting it gives up connecting (`ConnectError` `aborted`). */
  signal?: AbortSignal;
}

/** Takes output chunks as they come; a returned promise holds back reading until it settles (see `ExecOptions.onStdout`). */
export type ChunkSink = ((chunk: Buffer) => void) | ((chunk: Buffer) => Promise<void>);

/** Who an exec becomes through sudo and with what password; `{}` is root without one (sudo -n). See sudo.ts. */
export interface SudoAs {
  user?: string;
  password?: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then EOF. Without it stdin is closed at once. */
  stdin?: string | Buffer;
  /**
   * Aborting kills the remote command (its whole process group) and closes the channel;
   * `exec` then rejects with an `ExecAbortedError` that keeps the output that came before.
   */
  signal?: AbortSignal;
  /** Run through sudo: `true` as root with `sudo -n`; a `SudoAs` as another user or with a password (sudo.ts). */
  sudo?: boolean | SudoAs;
  /** Cap on each of stdout and stderr kept in the result; default 1 MiB. (The callbacks see everything.) */
  maxOutputBytes?: number;
  /**
   * Every chunk of stdout as it comes, capped or not. When it returns a promise, no more
   * output is read until that settles: a consumer that stores the bytes (fetch writing a
   * file) slows the command down through the transport's flow control instead of letting
   * unread output pile up in memory.
   */
  onStdout?: ChunkSink;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** Null when the command was ended by a signal or the channel closed without a status. */
  exitCode: number | null;
  /** The signal that ended the command, named as Node does (`SIGKILL`); null otherwise. */
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
}

/**
 * An exec stopped by its signal (timeout, Ctrl-C) after the command had started: `partial`
 * is what it had printed until then (a timed-out command's last words are often the answer
 * to why), and `cause` the signal's reason. An exec aborted before its command started
 * rejects with the signal's reason itself.
 */
export class ExecAbortedError extends MusterError {
  override name = 'ExecAbortedError';
  constructor(
    readonly host: string,
    /** The output so far; `exitCode` and `signal` are null (the command did not end by itself). */
    readonly partial: ExecResult,
    reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : `command on ${host} aborted`, { cause: reason });
  }
}

/** An open connection to one host. */
export interface Session {
  readonly target: Target;
  /**
   * Runs a shell command line on the host. Rejects only for transport failures and aborts
   * (`ExecAbortedError`), never for a non-zero exit.
   */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  close(): void;
}

/**
 * One kind of transport. Each factory (`sshTransport`, `opensshTransport`, `localTransport`)
 * checks its object against this with `satisfies Transport`, so a new kind needs only its own
 * folder and a line in `transportFor`.
 */
export interface Transport {
  readonly name: string;
  connect(target: Target, options?: ConnectOptions): Promise<Session>;
  /**
   * Ends what the transport shares between its sessions (the nats transport's one broker
   * connection). Called once, when the operation is over; a transport without shared state
   * has none. Connecting again afterwards is not supported.
   */
  close?(): Promise<void>;
}

/** Why a connection failed. `hostkey`: unknown or changed host key, refused. */
export type ConnectFailure = 'refused' | 'timeout' | 'dns' | 'auth' | 'hostkey' | 'closed' | 'aborted' | 'other';

/** A host could not be reached or logged into; the run layer turns it into an `unreachable` outcome. */
export class ConnectError extends MusterError {
  override name = 'ConnectError';
  constructor(
    readonly host: string,
    readonly reason: ConnectFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A host that is there but does not answer: an agent connected to the broker that sends
 * nothing back in time (connected but silent). Unlike a `ConnectError` it is not
 * `unreachable`: the run layer turns it, thrown by `connect` or by a job, into `timeout`.
 */
export class NoAnswerError extends MusterError {
  override name = 'NoAnswerError';
  constructor(
    readonly host: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
