/**
 * The default transport: SSH in this process (the `ssh2` package). One connection per host,
 * reused by every `exec` of an operation; ssh_config, identity files, ssh-agent, ProxyJump and
 * strict known_hosts checking as OpenSSH does them. Files (ssh_config, known_hosts, keys) are
 * read once per transport instance — one transport per operation — not once per host.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Duplex, type Readable } from 'node:stream';
import ssh2, { type AuthMethod, type ClientChannel, type ConnectConfig, type ParsedKey, type ServerHostKeyAlgorithm } from 'ssh2';
import { ChannelSlots } from './channelSlots.js';
import { IdentityAgent } from './identityAgent.js';
import { entryPlace, KnownHosts, knownHostName } from './knownHosts.js';
import { opensshFailure } from './openssh.js';
import { DEFAULT_MAX_OUTPUT_BYTES, execResult, OutputCapture } from './outputCapture.js';
import { RemoteProcessGroup, stopProcessGroup } from './processGroup.js';
import { SshConfigResolver, type SshConfigOptions, type SshSettings } from './sshConfig.js';
import {
  ConnectError,
  type ConnectFailure,
  type ConnectOptions,
  type ExecOptions,
  type ExecResult,
  type Session,
  type Target,
  type Transport,
} from './types.js';

/** Options of the in-process ssh transport; every one has a sensible default. */
export interface SshTransportOptions {
  /** Where ssh_config files are read from (tests point this away from the user's home). */
  sshConfig?: SshConfigOptions;
  /** Default connect timeout, used when neither the call nor ssh_config's ConnectTimeout sets one. 10 s. */
  connectTimeoutMs?: number;
  /** Record unknown host keys for every connection of this transport. */
  acceptNew?: boolean;
  /** ssh-agent socket; defaults to `$SSH_AUTH_SOCK`; `null` disables the agent. */
  agent?: string | null;
  /** SSH keepalive, so a host that dies mid-command is noticed: every 10 s, 3 unanswered → closed. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

// ssh2 is CommonJS: its named exports are reached through the default export.
const { Client, utils } = ssh2;
type Client = InstanceType<typeof Client>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

/** Creates the in-process ssh transport. Create one per operation: it caches files for that operation. */
export function sshTransport(options: SshTransportOptions = {}): Transport {
  const context = new SshContext(options);
  return {
    name: 'ssh',
    connect: (target, connectOptions) => context.connect(target, connectOptions ?? {}),
  };
}

/** What one transport instance reads once and shares between all its connections. */
class SshContext {
  readonly resolver: SshConfigResolver;
  readonly knownHosts = new KnownHosts();
  private readonly keys = new Map<string, ParsedKey | Error | null>();
  private readonly publicBlobs = new Map<string, string | undefined>();
  private readonly agent: string | undefined;

  constructor(readonly options: SshTransportOptions) {
    this.resolver = new SshConfigResolver(options.sshConfig);
    const agent = options.agent === undefined ? process.env['SSH_AUTH_SOCK'] : options.agent;
    this.agent = agent === null || agent === '' ? undefined : agent;
  }

  /** Reads and parses an identity file once; null when it does not exist, an Error when it is unusable. */
  private key(file: string): ParsedKey | Error | null {
    if (this.keys.has(file)) return this.keys.get(file) ?? null;
    let key: ParsedKey | Error | null;
    try {
      const parsed = utils.parseKey(readFileSync(file));
      key = parsed instanceof Error ? parsed : Array.isArray(parsed) ? (parsed[0] ?? null) : parsed;
    } catch (error) {
      key = (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : (error as Error);
    }
    this.keys.set(file, key);
    return key;
  }

  /**
   * The public half of an identity file, base64: from the key itself, or from `FILE.pub` when the
   * key is encrypted (as OpenSSH does), so its agent copy can be recognised. Cached.
   */
  private publicBlob(file: string): string | undefined {
    if (this.publicBlobs.has(file)) return this.publicBlobs.get(file);
    let blob: string | undefined;
    const key = this.key(file);
    if (key !== null && !(key instanceof Error)) {
      blob = key.getPublicSSH().toString('base64');
    } else {
      try {
        const parsed = utils.parseKey(readFileSync(`${file}.pub`));
        const pub = Array.isArray(parsed) ? parsed[0] : parsed;
        if (pub !== undefined && !(pub instanceof Error)) blob = pub.getPublicSSH().toString('base64');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.publicBlobs.set(file, blob);
    return blob;
  }

  /** The authentication methods for one host, in OpenSSH's order: agent, then identity files. */
  private authMethods(settings: SshSettings): { methods: AuthMethod[]; tried: string[] } {
    const methods: AuthMethod[] = [];
    const tried: string[] = [];
    const username = settings.user;
    if (this.agent !== undefined && !settings.identitiesOnly) {
      methods.push({ type: 'agent', username, agent: this.agent } as AuthMethod);
      tried.push('ssh-agent');
    } else if (this.agent !== undefined) {
      // IdentitiesOnly: only the agent keys that are the identity files' keys.
      const allowed = new Set(settings.identityFiles.map((file) => this.publicBlob(file)).filter((blob) => blob !== undefined));
      if (allowed.size > 0) {
        methods.push({ type: 'agent', username, agent: new IdentityAgent(this.agent, allowed) } as AuthMethod);
        tried.push('ssh-agent (identity files\' keys only)');
      }
    }
    for (const file of settings.identityFiles) {
      const key = this.key(file);
      if (key === null || key instanceof Error) continue;
      methods.push({ type: 'publickey', username, key } as AuthMethod);
      tried.push(file);
    }
    return { methods, tried };
  }

  async connect(target: Target, options: ConnectOptions): Promise<Session> {
    const settings = this.resolver.resolve(target);
    const timeoutMs = options.connectTimeoutMs ?? settings.connectTimeoutMs
      ?? this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const fail = (reason: ConnectFailure, message: string, cause?: unknown): ConnectError =>
      new ConnectError(target.name, reason, message, cause === undefined ? undefined : { cause });
    if (options.signal?.aborted) throw fail('aborted', `connection to ${target.name} aborted`);

    const clients: Client[] = [];
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const onAbort = (): void => deadline.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let sock: Readable | undefined;
      const chain = this.chainOf(settings, target.sshConfig, new Set([settings.name]));
      for (let index = 0; index < chain.length; index++) {
        const hop = chain[index] as SshSettings;
        const via = index < chain.length - 1 ? ` (jump host ${hop.name} for ${target.name})` : '';
        const client = await this.open(hop, sock, options, timeoutMs, deadline.signal, via, target.name);
        clients.push(client);
        const next = chain[index + 1];
        if (next !== undefined) sock = await forwardOut(client, next, target.name, deadline.signal);
      }
      return new SshSession(target, clients);
    } catch (error) {
      for (const client of clients.reverse()) client.destroy();
      if (error instanceof ConnectError && error.reason === 'aborted' && !options.signal?.aborted) {
        throw fail('timeout', `connection to ${target.name} timed out after ${timeoutMs / 1000}s`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The connections to open, first hop first, target last. As with OpenSSH's `-J a,b`, the first
   * hop's own ProxyJump applies (recursively) and later hops are reached through the previous one.
   * A hop that would jump through a host already in the chain is connected directly (this is what
   * makes `Host *` + `ProxyJump bastion` work for the bastion itself).
   */
  private chainOf(settings: SshSettings, sshConfig: string | undefined, seen: Set<string>): SshSettings[] {
    const hops = settings.proxyJump.map((hop) => this.resolver.resolveHop(hop, sshConfig));
    const [first, ...rest] = hops;
    if (first === undefined) return [settings];
    if (seen.size > 8) {
      throw new ConnectError(settings.name, 'other', `ProxyJump chain to ${settings.name} is longer than 8 hops (a loop in ssh_config?)`);
    }
    const head = seen.has(first.name)
      ? [{ ...first, proxyJump: [] }]
      : this.chainOf(first, sshConfig, new Set([...seen, first.name]));
    return [...head, ...rest.map((hop) => ({ ...hop, proxyJump: [] })), settings];
  }

  /** Opens and authenticates one connection (to the target or to a jump host). */
  private open(
    settings: SshSettings,
    sock: Readable | undefined,
    options: ConnectOptions,
    timeoutMs: number,
    signal: AbortSignal,
    via: string,
    hostName: string,
  ): Promise<Client> {
    const where = `${settings.user}@${settings.host}${settings.port === 22 ? '' : `:${settings.port}`}${via}`;
    const fail = (reason: ConnectFailure, message: string, cause?: unknown): ConnectError =>
      new ConnectError(hostName, reason, message, cause === undefined ? undefined : { cause });
    const knownName = settings.hostKeyAlias ?? knownHostName(settings.host, settings.port);
    const knownFiles = [...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles];
    const acceptNew = options.acceptNew === true || this.options.acceptNew === true
      || settings.strictHostKeyChecking !== 'yes';
    const { methods, tried } = this.authMethods(settings);
    if (methods.length === 0) {
      const agentNote = this.agent === undefined ? 'no ssh-agent (SSH_AUTH_SOCK unset)' : 'IdentitiesOnly set';
      return Promise.reject(fail('auth', `no identity to log in to ${where}: ${agentNote}, and none of `
        + `${settings.identityFiles.join(', ')} is a readable unencrypted key`));
    }

    // Ask for a key type known_hosts has first, as OpenSSH does, so a known host is not "unknown".
    const knownTypes = this.knownHosts.knownTypes(knownFiles, knownName)
      .flatMap((type) => type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);
    const hostKeyOrder = [...new Set([...knownTypes.filter((t) => HOST_KEY_ALGORITHMS.includes(t)), ...HOST_KEY_ALGORITHMS])];

    return new Promise<Client>((resolvePromise, reject) => {
      const client = new Client();
      let hostKeyError: ConnectError | undefined;
      let settled = false;
      const done = (error: ConnectError | undefined): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (error) {
          client.destroy();
          reject(error);
        } else {
          resolvePromise(client);
        }
      };
      const onAbort = (): void => done(fail('aborted', `connection to ${where} aborted`));
      signal.addEventListener('abort', onAbort, { once: true });

      const hostVerifier = (blob: Buffer): boolean => {
        const keyType = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
        const key = blob.toString('base64');
        // Only messages need the fingerprint: computed on the refusal paths alone.
        const fingerprint = (): string => `${keyType} SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
        const verdict = this.knownHosts.verify(knownFiles, knownName, keyType, key);
        switch (verdict.status) {
          case 'known':
            return true;
          case 'revoked':
            hostKeyError = fail('hostkey', `host key for ${knownName} (${fingerprint()}) is marked @revoked `
              + `in ${entryPlace(verdict.entry)}; refusing to connect`);
            return false;
          case 'changed':
            hostKeyError = fail('hostkey', `host key for ${knownName} has CHANGED: it presented ${fingerprint()}, `
              + `but ${entryPlace(verdict.entry)} holds a different ${verdict.entry.keyType} key; refusing to connect `
              + `(possible man-in-the-middle; if the host was reinstalled, remove that line: ssh-keygen -R '${knownName}' -f ${verdict.entry.file})`);
            return false;
          case 'unknown': {
            if (acceptNew) {
              const file = settings.userKnownHostsFiles[0];
              if (file !== undefined) this.knownHosts.record(file, knownName, keyType, key);
              return true;
            }
            const others = verdict.otherTypes.length > 0 ? ` (known_hosts has only ${verdict.otherTypes.join(', ')} for it)` : '';
            hostKeyError = fail('hostkey', `host key for ${knownName} (${fingerprint()}) is not in known_hosts `
              + `(${settings.userKnownHostsFiles.join(', ')})${others}; verify it and add it, or rerun with --accept-new`);
            return false;
          }
        }
      };

      client.on('ready', () => done(undefined));
      let proxyExit: Promise<string | undefined> | undefined;
      /** A ProxyCommand that failed says why on its stderr: wait (briefly) for it before classifying. */
      const failWith = (error: ConnectError): void => {
        if (proxyExit === undefined || hostKeyError !== undefined) {
          done(hostKeyError ?? error);
          return;
        }
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<undefined>((resolveWait) => { timer = setTimeout(() => resolveWait(undefined), 1000); });
        void Promise.race([proxyExit, waited]).then((message) => {
          clearTimeout(timer);
          done(message === undefined ? error : classify(new Error(message), where, timeoutMs, fail));
        });
      };
      const authNotes: string[] = [];
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        // ssh2 reports a failing agent or key as an error, then goes on with the next method.
        if (error.level === 'agent' || (error.level === 'client-authentication' && !/methods failed/i.test(error.message))) {
          authNotes.push(`${error.level === 'agent' ? 'ssh-agent' : 'key'}: ${error.message}`);
          return;
        }
        if (error.level === 'client-authentication') {
          const notes = authNotes.length > 0 ? `; ${authNotes.join('; ')}` : '';
          done(fail('auth', `permission denied for ${where} (tried ${tried.join(', ')}${notes})`, error));
        } else {
          failWith(classify(error, where, timeoutMs, fail));
        }
      });
      client.on('close', () => failWith(fail('closed', `connection to ${where} closed before login`)));

      const config: ConnectConfig = {
        host: settings.host,
        port: settings.port,
        username: settings.user,
        authHandler: methods,
        hostVerifier,
        // Our own deadline covers the whole connect; this is ssh2's backstop for the handshake.
        readyTimeout: timeoutMs + 1000,
        keepaliveInterval: this.options.keepaliveIntervalMs ?? 10_000,
        keepaliveCountMax: this.options.keepaliveCountMax ?? 3,
        algorithms: {
          serverHostKey: hostKeyOrder as ServerHostKeyAlgorithm[],
          compress: ['none'],
        },
      };
      if (sock !== undefined) {
        config.sock = sock;
      } else if (settings.proxyCommand !== undefined) {
        const proxy = proxyCommandSocket(settings.proxyCommand, client);
        config.sock = proxy.socket;
        proxyExit = proxy.failure;
      }
      client.connect(config);
    });
  }
}

/** Maps an ssh2 / socket error to a ConnectError reason and a one-line message (exported for tests). */
export function classify(
  error: Error & { level?: string; code?: string },
  where: string,
  timeoutMs: number,
  fail: (reason: ConnectFailure, message: string, cause?: unknown) => ConnectError,
): ConnectError {
  const code = error.code ?? '';
  if (error.level === 'client-timeout' || code === 'ETIMEDOUT') {
    return fail('timeout', `connection to ${where} timed out after ${timeoutMs / 1000}s`, error);
  }
  if (code === 'ECONNREFUSED') return fail('refused', `connection to ${where} refused (is sshd running?)`, error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || error.level === 'client-dns') {
    return fail('dns', `cannot resolve ${where}: ${code || error.message}`, error);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return fail('timeout', `${where} is unreachable (${code})`, error);
  // A server disconnect during login: 14 is SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE (e.g. MaxAuthTries).
  if (String(error.code) === '14' || /too many authentication failures/i.test(error.message)) {
    return fail('auth', `${where} refused the login: ${error.message}`, error);
  }
  if (error.message.startsWith('ProxyCommand exited')) {
    const reason = opensshFailure(error.message);
    return fail(reason === 'other' ? 'closed' : reason, `cannot connect to ${where}: ${error.message}`, error);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return fail('closed', `connection to ${where} reset during login`, error);
  return fail('other', `cannot connect to ${where}: ${error.message}`, error);
}

/**
 * Runs an ssh_config `ProxyCommand` (`sh -c 'exec COMMAND'`, as OpenSSH does) and returns its
 * stdin/stdout as the connection's socket. The command ends when the connection closes; what it
 * prints on stderr is added to the connection's error message.
 */
function proxyCommandSocket(command: string, client: Client): { socket: Duplex; failure: Promise<string | undefined> } {
  const child = spawn('sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  child.stdin.on('error', () => undefined);
  const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const failure = new Promise<string | undefined>((resolveFailure) => {
    child.on('error', (error) => {
      socket.destroy(error);
      resolveFailure(`ProxyCommand exited: ${error.message}`);
    });
    child.on('close', (code) => {
      const last = stderr.trim().split('\n').at(-1);
      resolveFailure(code === 0 ? undefined : `ProxyCommand exited with ${code}${last ? `: ${last}` : ''}`);
    });
  });
  client.once('close', () => child.kill());
  return { socket, failure };
}

/** Opens a direct-tcpip channel through a jump host, to be the next connection's socket. */
function forwardOut(client: Client, next: SshSettings, hostName: string, signal: AbortSignal): Promise<Readable> {
  return new Promise((resolvePromise, reject) => {
    // The jump host may take long to reach the next hop (its own TCP timeout): the deadline wins.
    const onAbort = (): void => reject(new ConnectError(hostName, 'aborted', `connection to ${next.host}:${next.port} through the jump host aborted`));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    client.forwardOut('127.0.0.1', 0, next.host, next.port, (error, channel) => {
      signal.removeEventListener('abort', onAbort);
      if (error) {
        reject(new ConnectError(hostName, 'refused', `jump host cannot reach ${next.host}:${next.port}: ${error.message}`, { cause: error }));
      } else if (signal.aborted) {
        channel.close();
      } else {
        resolvePromise(channel);
      }
    });
  });
}

/** One authenticated connection (plus its jump connections), shared by every exec on the host. */
class SshSession implements Session {
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
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new OutputCapture(max, options.onStdout);
    const stderr = new OutputCapture(max, options.onStderr);
    const group = new RemoteProcessGroup(command, options.sudo === true, (chunk) => stderr.push(chunk));

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
          finish(signal?.reason ?? new Error('aborted'));
        });
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      this.last.exec(group.line, (error, opened) => {
        if (error) {
          finish(this.lost ?? new ConnectError(this.target.name, 'closed', `cannot open a channel on ${this.target.name}: ${error.message}`, { cause: error }));
          return;
        }
        channel = opened;
        opened.on('data', (chunk: Buffer) => stdout.push(chunk));
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
        if (options.stdin !== undefined) opened.end(options.stdin);
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
    return stopProcessGroup(group.known(), group.sudo, (kill) => this.execKill(kill), () => channel()?.signal('KILL'));
  }

  /** Runs the kill script on a channel of its own (the slot ChannelSlots keeps free); settles when it ends. */
  private execKill(kill: string): Promise<void> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<void>((resolveKill, reject) => {
      this.last.exec(kill, (error, killChannel) => {
        if (error) {
          reject(error);
          return;
        }
        killChannel.on('close', () => resolveKill());
        killChannel.resume();
        killChannel.stderr.resume();
        killChannel.end();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const client of [...this.clients].reverse()) client.end();
  }
}
