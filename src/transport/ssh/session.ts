/**
 * One authenticated ssh connection (plus its jump connections), shared by every exec on the
 * host: each exec is a channel, at most ChannelSlots' limit at once, and an aborted exec has
 * its whole remote process group killed over one more channel.
 */
import type { Client, ClientChannel } from 'ssh2';
import { ChannelSlots } from '../channelSlots.js';
import { execResult, feed, OutputCapture } from '../outputCapture.js';
import { RemoteProcessGroup, stopProcessGroup } from '../processGroup.js';
import { sudoInput } from '../sudo.js';
import { ConnectError, ExecAbortedError, type ExecOptions, type ExecResult, type Session, type Target } from '../types.js';

/** The session of the in-process ssh transport; `sshTransport`'s `connect` builds it. */
export class SshSession implements Session {
  private lost: ConnectError | undefined;
  private closed = false;
  private readonly slots = new ChannelSlots();

  constructor(
    readonly target: Target,
    /** Jump hosts first, the target last. */
    private readonly clients: Client[],
  ) {
    const client = this.last;
    const onLost = (message: string): void => {
      this.lost ??= new ConnectError(target.name, 'closed', message);
    };
    client.on('error', (error: Error) => onLost(`connection to ${target.name} lost: ${error.message}`));
    client.on('close', () => onLost(`connection to ${target.name} closed`));
  }

  private get last(): Client {
    return this.clients[this.clients.length - 1] as Client;
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.slots.run(options.signal, () => this.run(command, options));
  }

  private run(command: string, options: ExecOptions): Promise<ExecResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed || this.lost) {
      return Promise.reject(this.lost ?? new ConnectError(this.target.name, 'closed', `session to ${this.target.name} is closed`));
    }
    const stdout = new OutputCapture(options.maxOutputBytes, options.onStdout);
    const stderr = new OutputCapture(options.maxOutputBytes, options.onStderr);
    const group = new RemoteProcessGroup(command, options.sudo, (chunk) => stderr.push(chunk));

    return new Promise<ExecResult>((resolvePromise, reject) => {
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let channel: ClientChannel | undefined;
      let aborting = false;
      let settled = false;
      const finish = (error: unknown, result?: ExecResult): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (result !== undefined && error === undefined) resolvePromise(result);
        else reject(error);
      };
      const onAbort = (): void => {
        if (aborting || settled) return;
        aborting = true;
        void this.killRemote(group, () => channel).finally(() => {
          channel?.close();
          // What it printed before it was stopped is part of what happened: keep it.
          group.end();
          finish(new ExecAbortedError(this.target.name, execResult(null, null, stdout, stderr), signal?.reason));
        });
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      this.last.exec(group.line, (error, opened) => {
        if (error) {
          finish(this.lost ?? new ConnectError(this.target.name, 'closed', `cannot open a channel on ${this.target.name}: ${error.message}`, { cause: error }));
          return;
        }
        channel = opened;
        feed(opened, (chunk) => stdout.push(chunk));
        opened.stderr.on('data', (chunk: Buffer) => group.pushStderr(chunk));
        opened.on('exit', (code: number | null, signalName?: string) => {
          if (typeof code === 'number') exitCode = code;
          else if (signalName !== undefined) exitSignal = signalName;
        });
        opened.on('close', () => {
          group.end();
          if (aborting) return;
          if (exitCode === null && exitSignal === null && this.lost) {
            finish(this.lost);
            return;
          }
          finish(undefined, execResult(exitCode, exitSignal, stdout, stderr));
        });
        const stdin = sudoInput(options.sudo, options.stdin);
        if (stdin !== undefined) opened.end(stdin);
        else opened.end();
        // Aborted and given up on before the channel even opened: the command must not live on.
        if (settled && aborting) void this.killRemote(group, () => opened).finally(() => opened.close());
      });
    });
  }

  /**
   * Kills the remote command's whole process group over a second channel of this connection,
   * and returns once it is gone (or given up on). Without a known group, or once the
   * connection is lost, it falls back to signalling the channel, which reaches only the
   * direct child.
   */
  private killRemote(group: RemoteProcessGroup, channel: () => ClientChannel | undefined): Promise<void> {
    return stopProcessGroup(group.known(), group.sudo, (kill, signal, stdin) => this.execKill(kill, signal, stdin), () => channel()?.signal('KILL'));
  }

  /**
   * Runs the kill script on a channel of its own (the slot ChannelSlots keeps free); settles when
   * it ends. `signal` (stopProcessGroup giving up) closes that channel, so that a script that
   * hangs does not hold the slot; sshd does not signal a command whose channel closes, and the
   * script writes nothing, so it still runs its own bounded course on the host.
   */
  private execKill(kill: string, signal: AbortSignal, stdin: string | Buffer | undefined): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<void>((resolveKill, reject) => {
      let opened: ClientChannel | undefined;
      const onAbort = (): void => void opened?.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.last.exec(kill, (error, killChannel) => {
        if (error) {
          signal.removeEventListener('abort', onAbort);
          reject(error);
          return;
        }
        opened = killChannel;
        killChannel.on('close', () => {
          signal.removeEventListener('abort', onAbort);
          resolveKill();
        });
        killChannel.resume();
        killChannel.stderr.resume();
        if (stdin !== undefined) killChannel.end(stdin);
        else killChannel.end();
        // Given up on before the channel even opened: it has no use left.
        if (signal.aborted) killChannel.close();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const client of [...this.clients].reverse()) client.end();
  }
}
