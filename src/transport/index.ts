/** The transports behind one interface, and the factory the CLI and ops use to pick one. */
import { UsageError } from '../core/errors.js';
import { localTransport } from './local.js';
import { opensshTransport, type OpensshTransportOptions } from './openssh.js';
import { sshTransport, type SshTransportOptions } from './ssh/index.js';
import type { Transport } from './types.js';

export { ConnectError } from './types.js';
export { ExecAbortedError } from './types.js';
export type {
  ConnectFailure, ConnectOptions, ExecOptions, ExecResult, Session, Target, Transport,
} from './types.js';
export {
  sshTransport, type SshTransportOptions, KnownHosts, parseKnownHosts, hashHostName, knownHostName,
  SshConfigResolver, type SshSettings,
} from './ssh/index.js';
export { opensshTransport, type OpensshTransportOptions } from './openssh.js';
export { localTransport } from './local.js';

/** The names `--transport` accepts. */
export const transportNames = ['ssh', 'openssh', 'local'] as const;
export type TransportName = (typeof transportNames)[number];

/** Options for `transportFor`; each transport takes the ones that apply to it. */
export type TransportOptions = SshTransportOptions & OpensshTransportOptions;

/**
 * Creates the transport named on the command line (`--transport`). One per operation:
 * the ssh transport caches ssh_config, known_hosts and keys for its lifetime. How it connects
 * (`connectTimeoutMs`, `acceptNew`) is set here once, for every host of the operation.
 */
export function transportFor(name: TransportName | string, options: TransportOptions = {}): Transport {
  switch (name) {
    case 'ssh':
      return sshTransport(options);
    case 'openssh':
      return opensshTransport(options);
    case 'local':
      return localTransport();
    default:
      throw new UsageError(`Unknown transport "${name}": use ssh, openssh or local`);
  }
}
