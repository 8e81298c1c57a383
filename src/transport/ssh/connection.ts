/**
 * Opening one authenticated ssh2 connection: to the target, or to a jump host on the way.
 * The host-key step, the identities and the ProxyCommand each come from their own file;
 * this is where ssh2's events are turned into one outcome, a client or a ConnectError.
 */
import type { Readable } from 'node:stream';
import ssh2, { type ConnectConfig } from 'ssh2';
import type { ConnectError } from '../types.js';
import type { SshSettings } from './config/sshConfig.js';
import { classify, type Fail } from './failure.js';
import { HostKeyCheck } from './hostKeys/hostKeyCheck.js';
import type { KnownHosts } from './hostKeys/knownHosts.js';
import type { Identities } from './identities.js';
import { proxyCommandSocket } from './proxyCommand.js';

// ssh2 is CommonJS: its named exports are reached through the default export.
const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

/** How long a failed connection waits for its ProxyCommand to say why on stderr. */
const PROXY_REASON_WAIT_MS = 1000;

/** What one transport instance gives every connection it opens. */
export interface ConnectionContext {
  identities: Identities;
  knownHosts: KnownHosts;
  acceptNew: boolean;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** One hop to open, and how its failures are named. */
export interface Hop {
  settings: SshSettings;
  /** The channel through the previous jump host; undefined for the first hop. */
  sock: Readable | undefined;
  /** " (jump host X for T)" for a jump host, '' for the target: added to every message. */
  via: string;
  timeoutMs: number;
  /** The whole connect's deadline (and the caller's abort). */
  signal: AbortSignal;
  fail: Fail;
}

/** `user@host[:port]`, and what it is on the way to: how every connect message names the hop. */
function whereOf(hop: Hop): string {
  const { settings } = hop;
  return `${settings.user}@${settings.host}${settings.port === 22 ? '' : `:${settings.port}`}${hop.via}`;
}

/**
 * Opens and authenticates one connection. Resolves with the ready client; rejects with a
 * ConnectError (the client destroyed) for refusals, host-key refusals, failed logins and aborts.
 */
export function openConnection(context: ConnectionContext, hop: Hop): Promise<Client> {
  const { settings, timeoutMs, signal, fail } = hop;
  const where = whereOf(hop);
  const { methods, tried } = context.identities.authMethods(settings);
  if (methods.length === 0) return Promise.reject(fail('auth', context.identities.noIdentity(settings, where)));
  const hostKeys = new HostKeyCheck(context.knownHosts, settings, context.acceptNew, fail);

  return new Promise<Client>((resolvePromise, reject) => {
    const client = new Client();
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

    client.on('ready', () => done(undefined));
    let proxyExit: Promise<string | undefined> | undefined;
    /** A ProxyCommand that failed says why on its stderr: wait (briefly) for it before classifying. */
    const failWith = (error: ConnectError): void => {
      if (proxyExit === undefined || hostKeys.refusal !== undefined) {
        done(hostKeys.refusal ?? error);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolveWait) => { timer = setTimeout(() => resolveWait(undefined), PROXY_REASON_WAIT_MS); });
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
      hostVerifier: hostKeys.verify,
      // Our own deadline covers the whole connect; this is ssh2's backstop for the handshake.
      readyTimeout: timeoutMs + 1000,
      keepaliveInterval: context.keepaliveIntervalMs,
      keepaliveCountMax: context.keepaliveCountMax,
      algorithms: { serverHostKey: hostKeys.algorithms, compress: ['none'] },
    };
    if (hop.sock !== undefined) {
      config.sock = hop.sock;
    } else if (settings.proxyCommand !== undefined) {
      const proxy = proxyCommandSocket(settings.proxyCommand, (end) => client.once('close', end));
      config.sock = proxy.socket;
      proxyExit = proxy.failure;
    }
    client.connect(config);
  });
}
