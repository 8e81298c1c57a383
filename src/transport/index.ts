/**
 * The transports behind one interface, for the library: every transport and the factory. This
 * loads them all (ssh2, nats.js); the CLI imports factory.ts, which loads each at first use.
 */

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

export { transportFor, routingTransport, failureOf, transportNames, type TransportName, type TransportOptions } from './factory.js';
