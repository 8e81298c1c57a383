/**
 * The HTTP(S) listener around the handler: limits, TLS, listening and a
 * graceful close. What it guards, and how:
 * - slow or oversized requests: headers must arrive within `headersTimeoutMs`
 *   (slowloris), the whole request within `requestTimeoutMs`, headers stay under
 *   `maxHeaderSize`; a client that breaks a rule gets 408/431/400 and is closed;
 * - too many clients: at most `maxConnections` sockets, idle watchers included;
 * - TLS: 1.2 at least; with a client CA, a client without a certificate the CA
 *   signed is refused in the handshake, before any request is read;
 * - shutdown: no new connections, idle ones closed at once, open requests
 *   given `shutdownGraceMs` before their connections are cut.
 * Built on `node:http`/`node:https` alone: a handful of GET routes needs no
 * framework, and owning the request loop keeps the hot path to one write.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { MusterError } from '../core/errors.js';
import type { AccessLog } from './accessLog.js';
import { ListenError, listenFailures } from './listenError.js';

/** Request size and time limits. */
export interface Limits {
  /** Time to receive the request headers (slowloris). */
  headersTimeoutMs: number;
  /** Time to receive the whole request. Blocking queries are not cut by it: it stops once the request is in. */
  requestTimeoutMs: number;
  /** Idle time of a keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
  /** Total size of the request headers. */
  maxHeaderSize: number;
  /** Open connections at once (idle watchers included). */
  maxConnections: number;
  /** Time given to open requests at shutdown before their connections are cut. */
  shutdownGraceMs: number;
}

export const defaultLimits: Limits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 8192,
  maxConnections: 20_000,
  shutdownGraceMs: 5_000,
};

/** TLS: PEM certificate and key; `clientCa` also requires client certificates signed by it. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
  clientCa?: string | Buffer;
}

/** Options of `listenHttp`. */
export interface ShellOptions {
  host: string;
  port: number;
  tls?: TlsFiles | undefined;
  limits: Limits;
  /** Where refused connections are logged. */
  log?: AccessLog | undefined;
}

/** A listening server. */
export interface HttpShell {
  readonly server: Server;
  /** `http://127.0.0.1:7070` or `https://…`, IPv6 addresses in brackets. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting, calls `wakeWaiters` (parked requests are answered rather
   * than cut), closes idle connections, and settles once every open request
   * is done or `shutdownGraceMs` has passed and the rest were cut.
   */
  close(wakeWaiters: () => void): Promise<void>;
}

/** An HTTPS server; a certificate, key or CA that OpenSSL refuses (not PEM, key and certificate not a pair) is a MusterError saying so. */
function httpsServer(tls: TlsFiles, serverOptions: ServerOptions, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
  try {
    return createHttpsServer({
      ...serverOptions,
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
      ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    }, onRequest);
  } catch (error) {
    if (!/^ERR_OSSL|^ERR_SSL/.test(String((error as NodeJS.ErrnoException).code ?? ''))) throw error;
    throw new MusterError(`Cannot serve TLS with this certificate, key${tls.clientCa ? ' and client CA' : ''}: ${(error as Error).message}`, { cause: error });
  }
}

/** Malformed requests, oversized headers, header timeouts, failed TLS handshakes: answered if the socket still can be, logged, never a crash. */
function refuse(log: AccessLog | undefined, error: NodeJS.ErrnoException, socket: Socket): void {
  const tls = (error.code ?? '').startsWith('ERR_SSL');
  const status = tls ? 0 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  log?.log({ time: new Date(), remote: socket.remoteAddress ?? '-', method: '-', url: '', status, bytes: 0, ms: 0, error: `${tls ? 'TLS: ' : ''}${error.code ?? error.message}` });
  if (!tls && socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  } else {
    socket.destroy();
  }
}

/**
 * Starts an HTTP(S) server with `options.limits` that hands every request to
 * `onRequest`, and waits until it listens. A taken port, an address not of
 * this machine or a host name that does not resolve is a `ListenError`.
 */
export async function listenHttp(options: ShellOptions, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpShell> {
  const { limits } = options;
  const serverOptions = {
    maxHeaderSize: limits.maxHeaderSize,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node enforces the two timeouts above on this tick (default 30 s, too coarse for a 10 s limit).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const server: Server = options.tls ? httpsServer(options.tls, serverOptions, onRequest) : createHttpServer(serverOptions, onRequest);
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => refuse(options.log, error, socket));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(listenFailures.includes(error.code ?? '') ? new ListenError(options.host, options.port, error.code ?? '', { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    port: address.port,
    async close(wakeWaiters) {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      wakeWaiters();
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), limits.shutdownGraceMs);
      try {
        await done;
      } finally {
        clearTimeout(grace);
      }
    },
  };
}
