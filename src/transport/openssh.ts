/**
 * The openssh transport: the system `ssh` client, for setups the in-process client cannot
 * serve (GSSAPI/Kerberos, hardware keys, host certificates...). `connect` starts a
 * ControlMaster; every `exec` is a cheap `ssh` multiplexed over it; `close` ends the master.
 * ssh itself honours ssh_config, known_hosts and the agent; with BatchMode it never prompts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelSlots } from './channelSlots.js';
import { runChild } from './childProcess.js';
import { connectTimedOut, DEFAULT_CONNECT_TIMEOUT_MS } from './connectTimeout.js';
import { failureFromText } from './failureText.js';
import { execResult, OutputCapture } from './outputCapture.js';
import { RemoteProcessGroup, stopProcessGroup } from './processGroup.js';
import { sudoInput } from './sudo.js';
import type { ConnectOptions, ExecOptions, ExecResult, Session, Target, Transport } from './types.js';
import { ConnectError, ExecAbortedError } from './types.js';

/** Options of the openssh transport, for every connection it makes. */
export interface OpensshTransportOptions {
  /** The ssh binary; default `ssh` from PATH. */
  ssh?: string;
  /** Connect timeout, given to ssh as `-o ConnectTimeout` (so it wins over ssh_config's); 10 s. */
  connectTimeoutMs?: number;
  /** Record unknown host keys (`StrictHostKeyChecking=accept-new`); changed keys are still refused. */
  acceptNew?: boolean;
  /** Extra `ssh` arguments put before the host, e.g. `['-o', 'Compression=yes']`. */
  extraArgs?: string[];
  /** `ssh -o` options (`User=admin`), given before the inventory's `-l`/`-p`/HostName so that they win, as the ssh transport has it. */
  sshOptions?: readonly string[];
}

/** How long a master outlives an idle period if muster dies without closing it. */
const CONTROL_PERSIST_S = 300;

/** Creates the openssh transport. Its control sockets live in a private temporary folder. */
export function opensshTransport(options: OpensshTransportOptions = {}): Transport {
  let controlDir: string | undefined;
  let sessions = 0;
  return {
    name: 'openssh',
    async connect(target, connectOptions = {}) {
      controlDir ??= mkdtempSync(join(tmpdir(), 'muster-ssh-'));
      const session = new OpensshSession(target, options, controlDir, () => {
        sessions--;
        if (sessions === 0 && controlDir !== undefined) {
          rmSync(controlDir, { recursive: true, force: true });
          controlDir = undefined;
        }
      });
      sessions++;
      try {
        await session.start(connectOptions);
      } catch (error) {
        session.close();
        throw error;
      }
      return session;
    },
  } satisfies Transport;
}

/** Runs `ssh` with `args`, collecting its stderr; `signal` ends the client (TERM). */
async function runSsh(
  binary: string,
  args: string[],
  signal: AbortSignal,
  stdin?: string | Buffer,
): Promise<{ code: number | null; stderr: string }> {
  const chunks: Buffer[] = [];
  const exit = await runChild(binary, args, {
    ...(stdin !== undefined ? { stdin } : {}),
    onStderr: (chunk) => chunks.push(chunk),
    signal,
  });
  return { code: exit.code, stderr: Buffer.concat(chunks).toString('utf8') };
}

class OpensshSession implements Session {
  private closed = false;
  /** The master multiplexes channels, and sshd's MaxSessions applies to them too. */
  private readonly slots = new ChannelSlots();
  private readonly binary: string;

  constructor(
    readonly target: Target,
    private readonly options: OpensshTransportOptions,
    private readonly controlDir: string,
    private readonly onClosed: () => void,
  ) {
    this.binary = options.ssh ?? 'ssh';
  }

  /** The arguments every call shares: config, control socket, identity of the host. */
  private args(extra: string[]): string[] {
    const target = this.target;
    const args: string[] = [];
    if (target.sshConfig !== undefined) args.push('-F', target.sshConfig);
    for (const option of this.options.sshOptions ?? []) args.push('-o', option);
    args.push('-o', 'BatchMode=yes', '-o', `ControlPath=${join(this.controlDir, '%C')}`);
    if (target.user !== undefined) args.push('-l', target.user);
    if (target.port !== undefined) args.push('-p', String(target.port));
    // The inventory name is what ssh_config `Host` matches; an explicit address is where to go.
    if (target.address !== '' && target.address !== target.name) args.push('-o', `HostName=${target.address}`);
    args.push(...(this.options.extraArgs ?? []), ...extra);
    return args;
  }

  /** Starts the master connection (and checks login) with one `ssh … true`. */
  async start(options: ConnectOptions): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const extra = [
      '-o', 'ControlMaster=yes', '-o', `ControlPersist=${CONTROL_PERSIST_S}`,
      '-o', `ConnectTimeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}`,
    ];
    if (this.options.acceptNew === true) extra.push('-o', 'StrictHostKeyChecking=accept-new');
    const name = this.target.name;
    const deadline = AbortSignal.timeout(timeoutMs + 2000);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    if (options.signal?.aborted) throw new ConnectError(name, 'aborted', `connection to ${name} aborted`);
    const { code, stderr } = await runSsh(this.binary, this.args([...extra, '--', name, 'true']), signal);
    if (code === 0) return;
    if (options.signal?.aborted) throw new ConnectError(name, 'aborted', `connection to ${name} aborted`);
    if (deadline.aborted) throw new ConnectError(name, 'timeout', connectTimedOut(name, timeoutMs));
    const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('@') && !line.startsWith('Warning: Permanently added'));
    const message = lines.find((line) => failureFromText(line) !== 'other') ?? lines.at(-1) ?? `ssh exited with ${code}`;
    throw new ConnectError(name, failureFromText(stderr), `ssh to ${name}: ${message}`);
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.slots.run(options.signal, () => this.run(command, options));
  }

  private async run(command: string, options: ExecOptions): Promise<ExecResult> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    if (this.closed) throw new ConnectError(this.target.name, 'closed', `session to ${this.target.name} is closed`);
    const stdout = new OutputCapture(options.maxOutputBytes, options.onStdout);
    const stderr = new OutputCapture(options.maxOutputBytes, options.onStderr);
    const group = new RemoteProcessGroup(command, options.sudo, (chunk) => stderr.push(chunk));
    const over = (line: string): string[] => this.args(['-o', 'ControlMaster=no', '--', this.target.name, line]);
    // The kill goes over the master too; without a known group only the local client is ended.
    const killGroup = (): Promise<void> => stopProcessGroup(group.known(), group.sudo,
      (kill, killSignal, killStdin) => runSsh(this.binary, over(kill), killSignal, killStdin), () => undefined);

    const stdin = sudoInput(options.sudo, options.stdin);
    const exit = await runChild(this.binary, over(group.line), {
      ...(stdin !== undefined ? { stdin } : {}),
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => group.pushStderr(chunk),
      signal,
      onAbort: (child) => killGroup().finally(() => child.kill('SIGTERM')),
    });
    group.end();
    // What it printed before it was stopped is part of what happened: keep it.
    if (exit.aborted) throw new ExecAbortedError(this.target.name, execResult(null, null, stdout, stderr), signal?.reason);
    if (exit.code === 255 && group.pgid === undefined) {
      // ssh itself failed before the command started: the master is gone.
      const text = stderr.buffer().toString('utf8').trim();
      throw new ConnectError(this.target.name, 'closed', `ssh to ${this.target.name}: ${text.split('\n').at(-1) ?? 'exit 255'}`);
    }
    return execResult(exit.code, exit.signal, stdout, stderr);
  }

  /** Settles once `close` has ended the master (for callers that must know, such as tests). */
  closing: Promise<void> | undefined;

  /** Ends the master connection (`ssh -O exit`), in the background. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = new Promise((resolveClosed) => {
      const child = spawn(this.binary, this.args(['-O', 'exit', '--', this.target.name]), { stdio: 'ignore' });
      const done = (): void => {
        this.onClosed();
        resolveClosed();
      };
      child.on('error', done);
      child.on('close', done);
    });
  }
}
