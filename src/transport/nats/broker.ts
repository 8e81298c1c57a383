/**
 * The operator's one connection to the broker, opened once per operation and shared by every
 * session: mutual TLS with the operator's certificate, and the inbox prefix the broker lets
 * this operator subscribe to (`muster.inbox.<operator>`). A failure to open it is one line
 * that says what to check, never a stack (it concerns the operation, not a host).
 */
import { access, constants } from 'node:fs/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EnvironmentError, MusterError } from '../../core/errors.js';
import { inboxPrefix } from './protocol.js';

/** The operator's identity and where the broker is. */
export interface BrokerOptions {
  /** Broker URLs, `tls://host:port` (several: a cluster, tried in order). */
  servers: string[];
  /** The operator's certificate, its key, and the fleet CA's certificate (paths). */
  cert: string;
  key: string;
  ca: string;
  /** The operator's name: its certificate's CN, and the token of its inbox. */
  operator: string;
  /** Give up opening the connection after this long; default 10 s. */
  connectTimeoutMs?: number;
}

/** The broker connection could not be opened: the operation cannot reach any host. */
export class BrokerConnectError extends EnvironmentError {
  override name = 'BrokerConnectError';
}

/** How long opening the broker connection may take, unless told. */
export const defaultBrokerTimeoutMs = 10_000;

/**
 * Opens the connection. Rejects with `BrokerConnectError` whose message names the operator,
 * the servers and the likely cause: a missing file, a refused certificate (the broker does
 * not know it, or no longer: revoked), a broker that is not there.
 */
export async function openBroker(options: BrokerOptions): Promise<NatsConnection> {
  for (const [what, path] of [['certificate', options.cert], ['key', options.key], ['CA certificate', options.ca]] as const) {
    try {
      await access(path, constants.R_OK);
    } catch {
      throw new BrokerConnectError(`Cannot connect to the broker as operator ${options.operator}: no readable ${what} at ${path} (muster ca sign --operator ${options.operator} makes one)`);
    }
  }
  const where = options.servers.join(', ');
  try {
    return await connect({
      servers: options.servers,
      tls: { certFile: options.cert, keyFile: options.key, caFile: options.ca },
      inboxPrefix: inboxPrefix(options.operator),
      name: `muster operator ${options.operator}`,
      timeout: options.connectTimeoutMs ?? defaultBrokerTimeoutMs,
      // An operation lasts seconds: a broker that goes away mid-way is tried again briefly
      // (a cluster's other node), not for the default two minutes.
      reconnect: true,
      maxReconnectAttempts: 3,
      reconnectTimeWait: 250,
    });
  } catch (error) {
    throw new BrokerConnectError(`Cannot connect to the broker (${where}) as operator ${options.operator}: ${brokerFailure(error)}`, { cause: error });
  }
}

/** What a failed connect means, in words: nats.js says "TIMEOUT" for a TLS handshake the broker gave up (an unpinned certificate). */
function brokerFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  if (/authorization/i.test(message)) return 'the broker does not know this operator\'s certificate (Authorization Violation): is it signed by the fleet CA and not revoked?';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|connection refused/i.test(message)) return 'connection refused (is the broker running? muster broker status)';
  if (/timeout/i.test(message) || (error instanceof MusterError && /timed out/.test(message))) {
    return 'the broker refused this operator\'s certificate or is not reachable (no TLS handshake in time)';
  }
  if (/certificate|self.signed|verify/i.test(message)) return `TLS failed: ${message}`;
  return message;
}
