/** The transports behind one interface, and the factory the CLI and ops use to pick one. */
import { UsageError } from '../core/errors.js';
import { MusterError } from '../core/errors.js';
import { localTransport } from './local.js';
import { natsTransport, type NatsTransportOptions } from './nats/transport.js';
import { opensshTransport, type OpensshTransportOptions } from './openssh.js';
import { sshTransport, type SshTransportOptions } from './ssh/index.js';
import type { Session, Target, Transport } from './types.js';

export { ConnectError, NoAnswerError } from './types.js';
export { ExecAbortedError } from './types.js';
export type {
  ConnectFailure, ConnectOptions, ExecOptions, ExecResult, Session, Target, Transport,
} from './types.js';
export {
  natsTransport, type NatsTransport, type NatsTransportOptions, type NatsSession, type NatsCallOptions,
} from './nats/transport.js';
export { BrokerConnectError } from './nats/broker.js';
export { BrokerRefusedError, AgentReplyError } from './nats/errors.js';
export {
  sshTransport, type SshTransportOptions, KnownHosts, parseKnownHosts, hashHostName, knownHostName,
  SshConfigResolver, type SshSettings,
} from './ssh/index.js';
export { opensshTransport, type OpensshTransportOptions } from './openssh.js';
export { localTransport } from './local.js';

/** The names `--transport` accepts. */
export const transportNames = ['ssh', 'openssh', 'local', 'nats'] as const;
export type TransportName = (typeof transportNames)[number];

/** Options for `transportFor`; each transport takes the ones that apply to it (`nats`: where the broker is, who the operator is). */
export type TransportOptions = SshTransportOptions & OpensshTransportOptions & { nats?: Omit<NatsTransportOptions, 'connectTimeoutMs'> };

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
    case 'nats':
      if (!options.nats) throw new UsageError('The nats transport needs the broker\'s servers and an operator\'s certificate (the inventory\'s agents section, muster ca)');
      return natsTransport({ ...options.nats, ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}) });
    default:
      throw new UsageError(`Unknown transport "${name}": use ssh, openssh, local or nats`);
  }
}

/**
 * One transport made of several, each target going to the one `pick` names (hosts with
 * `muster_transport: nats` beside ssh hosts). `pick` is asked per connect; `close` and
 * `failure` cover every transport it picked. A failure of one of them (the broker) is the
 * operation's, as that transport says.
 */
export function routingTransport(pick: (target: Target) => Transport): Transport & { failure(): MusterError | undefined } {
  const used = new Set<Transport>();
  return {
    name: 'routing',
    connect(target, options): Promise<Session> {
      const transport = pick(target);
      used.add(transport);
      return transport.connect(target, options);
    },
    failure: () => [...used].map(failureOf).find((failure) => failure !== undefined),
    async close() {
      await Promise.all([...used].map((transport) => transport.close?.()));
    },
  };
}

/** A transport's failure of the whole operation (`NatsTransport.failure`), when it can have one. */
export function failureOf(transport: Transport): MusterError | undefined {
  const withFailure = transport as Transport & { failure?: () => MusterError | undefined };
  return typeof withFailure.failure === 'function' ? withFailure.failure() : undefined;
}
