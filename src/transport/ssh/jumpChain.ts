/**
 * ProxyJump: the connections to open to reach a target, and the channel through each jump
 * host that becomes the next connection's socket.
 */
import type { Readable } from 'node:stream';
import type { Client } from 'ssh2';
import { ConnectError } from '../types.js';
import type { SshConfigResolver, SshSettings } from './config/sshConfig.js';

/** OpenSSH's own limit is higher; past this many hops a chain is taken for a loop in ssh_config. */
const MAX_HOPS = 8;

/**
 * The connections to open, first hop first, target last. As with OpenSSH's `-J a,b`, the first
 * hop's own ProxyJump applies (recursively) and later hops are reached through the previous one.
 * A hop that would jump through a host already in the chain is connected directly (this is what
 * makes `Host *` + `ProxyJump bastion` work for the bastion itself).
 */
export function jumpChain(
  resolver: SshConfigResolver,
  settings: SshSettings,
  sshConfig: string | undefined,
  seen: Set<string> = new Set([settings.name]),
): SshSettings[] {
  const hops = settings.proxyJump.map((hop) => resolver.resolveHop(hop, sshConfig));
  const [first, ...rest] = hops;
  if (first === undefined) return [settings];
  if (seen.size > MAX_HOPS) {
    throw new ConnectError(settings.name, 'other', `ProxyJump chain to ${settings.name} is longer than ${MAX_HOPS} hops (a loop in ssh_config?)`);
  }
  const head = seen.has(first.name)
    ? [{ ...first, proxyJump: [] }]
    : jumpChain(resolver, first, sshConfig, new Set([...seen, first.name]));
  return [...head, ...rest.map((hop) => ({ ...hop, proxyJump: [] })), settings];
}

/** Opens a direct-tcpip channel through a jump host, to be the next connection's socket. */
export function forwardOut(client: Client, next: SshSettings, hostName: string, signal: AbortSignal): Promise<Readable> {
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
