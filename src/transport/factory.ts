/**
 * The factory the CLI and ops use to pick a transport (`transportFor`), and the routing one for
 * fleets that mix them. The in-process ssh transport (ssh2, ~70 ms to load) and the nats one
 * (nats.js, ~50 ms) are imported at their first `connect`, not here: a run over agents never
 * loads ssh2 and a run over ssh never loads nats.js. This module imports neither, so that
 * importing it costs nothing of theirs (transport/index.ts re-exports both for the library).
 */
import { MusterError, UsageError } from '../core/errors.js';
import { localTransport } from './local.js';
import type { NatsTransportOptions } from './nats/transport.js';
import { opensshTransport, type OpensshTransportOptions } from './openssh.js';
import type { SshTransportOptions } from './ssh/index.js';
import type { Session, Target, Transport } from './types.js';

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
      return imported('ssh', async () => (await import('./ssh/index.js')).sshTransport(options));
    case 'openssh':
      return opensshTransport(options);
    case 'local':
      return localTransport();
    case 'nats': {
      if (!options.nats) throw new UsageError('The nats transport needs the broker\'s servers and an operator\'s certificate (the inventory\'s agents section, muster ca)');
      const nats = { ...options.nats, ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}) };
      return imported('nats', async () => (await import('./nats/transport.js')).natsTransport(nats));
    }
    default:
      throw new UsageError(`Unknown transport "${name}": use ssh, openssh, local or nats`);
  }
}

/**
 * A transport made by `make` at its first `connect` (its module imported then, once).
 * `close` and `failure` go to it once made; before that there is nothing to close or to fail.
 */
function imported(name: string, make: () => Promise<Transport>): Transport & { failure(): MusterError | undefined } {
  let making: Promise<Transport> | undefined;
  let made: Transport | undefined;
  const transport = (): Promise<Transport> => (making ??= make().then((value) => (made = value)));
  return {
    name,
    connect: async (target, options) => (await transport()).connect(target, options),
    failure: () => (made ? failureOf(made) : undefined),
    async close() {
      if (making) await (await making.catch(() => undefined))?.close?.();
    },
  };
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
