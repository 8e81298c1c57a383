/**
 * The default transport: SSH in this process (the `ssh2` package). One connection per host,
 * reused by every `exec` of an operation; ssh_config, identity files, ssh-agent, ProxyJump and
 * strict known_hosts checking as OpenSSH does them. Files (ssh_config, known_hosts, keys) are
 * read once per transport instance — one transport per operation — not once per host.
 *
 * The connect timeout: the transport's `connectTimeoutMs` (the CLI's `--connect-timeout`) wins,
 * then ssh_config's ConnectTimeout for the target, then 10 s. It bounds the whole connect,
 * every jump host included.
 */
import type { Readable } from 'node:stream';
import type { Client } from 'ssh2';
import { MusterError } from '../../core/errors.js';
import { connectTimedOut, DEFAULT_CONNECT_TIMEOUT_MS } from '../connectTimeout.js';
import { ConnectError, type Session, type Target, type Transport } from '../types.js';
import { SshConfigResolver, type SshConfigOptions, type SshSettings } from './config/sshConfig.js';
import { openConnection, type ConnectionContext } from './connection.js';
import { failFor } from './failure.js';
import { KnownHosts } from './hostKeys/knownHosts.js';
import { Identities } from './identities.js';
import { forwardOut, jumpChain } from './jumpChain.js';
import { SshSession } from './session.js';

/** Options of the in-process ssh transport, for every connection it makes; each has a sensible default. */
export interface SshTransportOptions {
  /** Where ssh_config files are read from (tests point this away from the user's home). */
  sshConfig?: SshConfigOptions;
  /** Connect timeout; wins over ssh_config's ConnectTimeout. Without either, 10 s. */
  connectTimeoutMs?: number;
  /** Record unknown host keys (OpenSSH's accept-new) whatever ssh_config says; changed keys are always refused. */
  acceptNew?: boolean;
  /** ssh-agent socket; defaults to `$SSH_AUTH_SOCK`; `null` disables the agent. */
  agent?: string | null;
  /** SSH keepalive, so a host that dies mid-command is noticed: every 10 s, 3 unanswered → closed. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** `ssh -o` options (`User=admin`) for every host; they win over the inventory and the files (sshConfig.ts). */
  sshOptions?: readonly string[];
}

/** Creates the in-process ssh transport. Create one per operation: it caches files for that operation. */
export function sshTransport(options: SshTransportOptions = {}): Transport {
  const resolver = new SshConfigResolver({ ...options.sshConfig, ...(options.sshOptions !== undefined ? { commandLine: options.sshOptions } : {}) });
  const context: ConnectionContext = {
    identities: new Identities(options.agent),
    knownHosts: new KnownHosts(),
    acceptNew: options.acceptNew === true,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 10_000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
  };
  return {
    name: 'ssh',
    connect: (target, connectOptions) =>
      connect(resolver, context, target, options.connectTimeoutMs, connectOptions?.signal),
  } satisfies Transport;
}

/**
 * Connects to `target` through its jump chain, one hop after the other, under one deadline.
 * A hop that fails closes the hops already open.
 */
async function connect(
  resolver: SshConfigResolver,
  context: ConnectionContext,
  target: Target,
  connectTimeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<Session> {
  const fail = failFor(target.name);
  // A file ssh would refuse, or a value it cannot expand, leaves this host unreachable, said in one line.
  const resolved = (): { settings: SshSettings; chain: SshSettings[] } => {
    try {
      const settings = resolver.resolve(target);
      return { settings, chain: jumpChain(resolver, settings, target.sshConfig) };
    } catch (error) {
      if (error instanceof MusterError && !(error instanceof ConnectError)) throw fail('other', error.message, error);
      throw error;
    }
  };
  const { settings, chain } = resolved();
  const timeoutMs = connectTimeoutMs ?? settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (signal?.aborted) throw fail('aborted', `connection to ${target.name} aborted`);

  const clients: Client[] = [];
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const onAbort = (): void => deadline.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let sock: Readable | undefined;
    for (let index = 0; index < chain.length; index++) {
      const hop = chain[index] as SshSettings;
      const via = index < chain.length - 1 ? ` (jump host ${hop.name} for ${target.name})` : '';
      const client = await openConnection(context, { settings: hop, sock, via, timeoutMs, signal: deadline.signal, fail });
      clients.push(client);
      const next = chain[index + 1];
      if (next !== undefined) sock = await forwardOut(client, next, target.name, deadline.signal);
    }
    return new SshSession(target, clients);
  } catch (error) {
    for (const client of clients.reverse()) client.destroy();
    if (error instanceof ConnectError && error.reason === 'aborted' && !signal?.aborted) {
      throw fail('timeout', connectTimedOut(target.name, timeoutMs));
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
