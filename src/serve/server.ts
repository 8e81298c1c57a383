/**
 * `muster serve`: a read-only HTTP(S) server answering questions about the
 * inventory (hosts, roles, groups, selections, Prometheus discovery) in JSON,
 * YAML or sh. Responses are prepared once per inventory version and then
 * served from memory; the inventory is watched and reloaded on edits (an
 * invalid edit keeps the last good version serving); blocking queries let
 * clients wait for the next version. Built on `node:http`/`node:https` alone:
 * a handful of GET routes needs no framework, and owning the request loop
 * keeps the hot path to a map lookup and one write.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InvalidFileError, MusterError, NotFoundError, formatLocation } from '../core/errors.js';
import { shellQuote } from '../core/shell.js';
import { shAssignments } from '../bindings/index.js';
import type { FindOptions, Inventory } from '../inventory/index.js';
import { createAccessLog, type AccessLog } from './accessLog.js';
import { ListenError, listenFailures } from './listenError.js';
import { watchFolders } from './fileWatch.js';
import { contentTypes, encodeData, formatFromAccept, type Format, type Json } from './format.js';
import { cacheKey, maxUrlLength, parseRequest, type ParsedRequest } from './request.js';
import { RequestError, statusOf } from './requestError.js';
import { resolveRoute } from './routes.js';
import { readInventory } from './source.js';
import { WatchSet, blockFor } from './watches.js';

/** The default address: loopback only, port 7070. */
export const defaultHost = '127.0.0.1';
export const defaultPort = 7070;

/** Options of `startServer`. */
export interface ServeOptions {
  /** Where the inventory is (as for `loadInventory`). */
  inventory?: FindOptions;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 7070; 0 picks a free one). */
  port?: number;
  /** TLS: PEM certificate and key; `clientCa` also requires client certificates signed by it. */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** A bearer token every request except `/v1/health` must send (`Authorization: Bearer TOKEN`). */
  token?: string;
  /** Where request lines go; `false` for none. Default: plain lines on stderr. */
  accessLog?: AccessLog | false;
  /** Watch the inventory files and reload on edits (default true). */
  watch?: boolean;
  /** Quiet time after a file event before reloading (default 100 ms). */
  debounceMs?: number;
  /** Request limits; defaults in `defaultLimits`. */
  limits?: Partial<Limits>;
  signal?: AbortSignal;
}

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

/** The outcome of one reload. */
export type ReloadOutcome = 'changed' | 'unchanged' | 'failed';

/** A running metadata server. */
export interface MetadataServer {
  /** `http://127.0.0.1:7070` or `https://…`: where it listens. */
  readonly url: string;
  readonly port: number;
  /** The current inventory version (X-Muster-Index). */
  readonly index: number;
  /** Number of blocked (watching) requests now. */
  readonly watchers: number;
  /** Reads the inventory again now (the file watch calls this too). */
  reload(): Promise<ReloadOutcome>;
  /** Stops: no new connections, watchers answered at once, open requests finished (cut after the grace time). */
  close(): Promise<void>;
  /** Settles when the server has stopped (by `close()` or the signal). */
  readonly closed: Promise<void>;
}

/** A response ready to send. */
interface Prepared {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** One inventory version and the responses prepared from it. */
interface Snapshot {
  inventory: Inventory;
  index: number;
  digest: string;
  loadedAt: Date;
  /** By what a request asks for (route, format, query). */
  responses: Map<string, Prepared>;
  /** By raw request target and Accept header: the hot path skips parsing. */
  byUrl: Map<string, Prepared>;
}

/** Body bytes sent per response, for the access log (writeHead's headers are not readable back). */
const sentBytes = new WeakMap<ServerResponse, number>();

/** Caps on the prepared-response caches of one version (selectors are unbounded input). */
const maxCached = 50_000;

/** The state of the last reload, for `/v1/status`. */
interface ReloadState {
  at: Date;
  ok: boolean;
  error?: string;
  problems?: { file?: string; line?: number; col?: number; at?: string; message: string }[];
}

function prepare(status: number, format: Format, text: string, index: number, extra: OutgoingHttpHeaders = {}): Prepared {
  const body = Buffer.from(text, 'utf8');
  return {
    status,
    body,
    headers: {
      'content-type': contentTypes[format],
      'content-length': String(body.length),
      'x-muster-index': String(index),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(status === 200 ? { etag: `"${createHash('sha1').update(body).digest('base64url')}"` } : {}),
      ...extra,
    },
  };
}

function encode(value: Json, sh: () => string, format: Format): string {
  return format === 'sh' ? sh() : encodeData(value, format);
}

/** An error body in the asked format; in sh it prints the message on stderr and fails, so `eval` never runs request text. */
function errorBody(status: number, message: string, format: Format): string {
  if (format === 'sh') return `echo ${shellQuote(`muster serve: ${status}: ${message}`)} >&2\nfalse\n`;
  return encodeData({ error: message, status }, format);
}

/** The format an error should be said in: the one the request asked for, if it can be told. */
function errorFormat(req: IncomingMessage): Format {
  try {
    return parseRequest(req.url ?? '/', req.headers.accept).format;
  } catch {
    // The request target itself is what is wrong: fall back to what Accept asks for.
    return formatFromAccept(req.headers.accept);
  }
}

/** An HTTPS server; a certificate, key or CA that OpenSSL refuses (not PEM, key and certificate not a pair) is a MusterError saying so. */
function httpsServer(tls: NonNullable<ServeOptions['tls']>, serverOptions: ServerOptions, onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
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

function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Loads the inventory (throws if it is invalid: the server never starts on a
 * broken inventory), starts listening, and starts watching the files.
 *
 * @example
 * const server = await startServer({ inventory: { path: 'muster.yaml' }, port: 0 });
 * console.log(server.url); // http://127.0.0.1:40123
 */
export async function startServer(options: ServeOptions = {}): Promise<MetadataServer> {
  const limits: Limits = { ...defaultLimits, ...options.limits };
  const find = options.inventory ?? {};
  const log = options.accessLog === false ? undefined : options.accessLog ?? createAccessLog();
  const first = await readInventory(find, undefined, options.signal ? { signal: options.signal } : {});
  if (!first.inventory) throw new Error('unreachable: the first read always parses');
  let snapshot: Snapshot = newSnapshot(first.inventory, 1, first.digest);
  let folders = first.folders;
  let lastReload: ReloadState = { at: snapshot.loadedAt, ok: true };
  const startedAt = Date.now();
  const watches = new WatchSet();
  const expectedToken = options.token === undefined ? undefined : tokenDigest(options.token);
  let stopping = false;

  function newSnapshot(inventory: Inventory, index: number, digest: string): Snapshot {
    return { inventory, index, digest, loadedAt: new Date(), responses: new Map(), byUrl: new Map() };
  }

  function remember(map: Map<string, Prepared>, key: string, prepared: Prepared): void {
    if (map.size >= maxCached) map.clear();
    map.set(key, prepared);
  }

  /** The prepared response for a parsed request, from the cache or made now. */
  function respond(parsed: ParsedRequest, current: Snapshot): Prepared {
    const key = cacheKey(parsed.segments, parsed.format, parsed.query);
    const cached = current.responses.get(key);
    if (cached) return cached;
    let resource;
    let format = parsed.format;
    try {
      resource = resolveRoute(current.inventory, parsed.segments, parsed.query);
    } catch (error) {
      // `web.example.sh` may be a name rather than `web.example` in sh.
      if (!(error instanceof NotFoundError) || !parsed.unsuffixed) throw error;
      try {
        resource = resolveRoute(current.inventory, parsed.unsuffixed, parsed.query);
        format = parsed.fallbackFormat;
      } catch {
        throw error;
      }
    }
    const prepared = prepare(200, format, encode(resource.value, resource.sh, format), current.index);
    remember(current.responses, key, prepared);
    return prepared;
  }

  function statusValue(): { [key: string]: Json } {
    const inventory = snapshot.inventory;
    const reload: { [key: string]: Json } = { at: lastReload.at.toISOString(), ok: lastReload.ok };
    if (lastReload.error !== undefined) reload['error'] = lastReload.error;
    if (lastReload.problems) reload['problems'] = lastReload.problems as Json;
    return {
      status: lastReload.ok ? 'ok' : 'error',
      index: snapshot.index,
      loaded_at: snapshot.loadedAt.toISOString(),
      files: inventory.files,
      hosts: inventory.hosts.length,
      roles: inventory.roles.size,
      groups: inventory.groups.size,
      watchers: watches.size,
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      last_reload: reload,
    };
  }

  function dynamic(name: 'status' | 'health', format: Format): Prepared {
    const value: { [key: string]: Json } = name === 'health' ? { status: 'ok', index: snapshot.index } : statusValue();
    const sh = (): string => {
      const flat: Record<string, string | number | boolean> = {};
      for (const [key, v] of Object.entries(value)) {
        if (v !== null && typeof v !== 'object') flat[key] = v;
      }
      if (name === 'status' && lastReload.error !== undefined) flat['error'] = lastReload.error;
      return shAssignments(flat);
    };
    return prepare(200, format, encode(value, sh, format), snapshot.index);
  }

  function authorized(req: IncomingMessage): boolean {
    if (!expectedToken) return true;
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !/^Bearer /i.test(header)) return false;
    // Both sides hashed to the same length, then compared in constant time.
    return timingSafeEqual(tokenDigest(header.slice(7).trim()), expectedToken);
  }

  function send(req: IncomingMessage, res: ServerResponse, prepared: Prepared): void {
    const match = req.headers['if-none-match'];
    if (prepared.status === 200 && match !== undefined && match === prepared.headers['etag']) {
      const { 'content-length': _length, ...headers } = prepared.headers;
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(prepared.status, prepared.headers);
    if (req.method === 'HEAD') res.end();
    else {
      sentBytes.set(res, prepared.body.length);
      res.end(prepared.body);
    }
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown, format: Format): string {
    const status = statusOf(error);
    if (status === undefined) {
      log?.note('internal error (a bug)', { url: JSON.stringify(req.url ?? ''), stack: JSON.stringify(error instanceof Error ? error.stack : String(error)) });
    }
    const message = status === undefined ? 'Internal error (logged)' : (error as Error).message;
    const headers = error instanceof RequestError ? error.headers : {};
    if (!res.headersSent) send(req, res, prepare(status ?? 500, format, errorBody(status ?? 500, message, format), snapshot.index, headers));
    else res.destroy();
    return message.split('\n')[0] ?? '';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
    const url = req.url ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new RequestError(405, `Method ${req.method ?? ''} not allowed: this server is read-only (GET, HEAD)`, { allow: 'GET, HEAD' });
    }
    const path = url.split('?', 1)[0] ?? '';
    if (!authorized(req) && path !== '/v1/health' && !path.startsWith('/v1/health.')) {
      throw new RequestError(401, 'Missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="muster"' });
    }
    const accept = req.headers.accept;
    const fastKey = `${url}\n${accept ?? ''}`;
    const hit = snapshot.byUrl.get(fastKey);
    if (hit) {
      send(req, res, hit);
      return undefined;
    }
    if (url.length > maxUrlLength) throw new RequestError(414, `Request target too long (at most ${maxUrlLength} bytes)`);
    const parsed = parseRequest(url, accept);
    const wait = blockFor(parsed.index, parsed.wait, snapshot.index);
    if (wait > 0 && !stopping) {
      const controller = new AbortController();
      const onClose = (): void => controller.abort();
      res.once('close', onClose);
      try {
        if ((await watches.wait(wait, { signal: controller.signal })) === 'aborted') return 'client went away';
      } finally {
        res.off('close', onClose);
      }
    }
    const [first, second] = parsed.segments;
    if (first === 'v1' && (second === 'status' || second === 'health') && parsed.segments.length === 2) {
      send(req, res, dynamic(second, parsed.format));
      return undefined;
    }
    const current = snapshot;
    const prepared = respond(parsed, current);
    if (parsed.index === undefined && parsed.wait === undefined) remember(current.byUrl, fastKey, prepared);
    send(req, res, prepared);
    return undefined;
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    let note: string | undefined;
    res.once('close', () => {
      log?.log({
        time: new Date(),
        remote: req.socket.remoteAddress ?? '-',
        method: req.method ?? '-',
        url: req.url ?? '',
        status: res.statusCode,
        bytes: sentBytes.get(res) ?? 0,
        ms: performance.now() - started,
        ...(note ? { error: note } : {}),
      });
    });
    handle(req, res).then(
      (result) => {
        note = result;
        if (result !== undefined && !res.headersSent) res.destroy();
      },
      (error: unknown) => {
        note = fail(req, res, error, errorFormat(req));
      },
    );
  };

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
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed requests, oversized headers, header timeouts, failed TLS handshakes
    // (no or a wrong client certificate): answer if the socket still can, never crash.
    const tls = (error.code ?? '').startsWith('ERR_SSL');
    const status = tls ? 0 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    log?.log({ time: new Date(), remote: socket.remoteAddress ?? '-', method: '-', url: '', status, bytes: 0, ms: 0, error: `${tls ? 'TLS: ' : ''}${error.code ?? error.message}` });
    if (!tls && socket.writable) {
      socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(listenFailures.includes(error.code ?? '')
        ? new ListenError(options.host ?? defaultHost, options.port ?? defaultPort, error.code ?? '', { cause: error })
        : error);
    };
    server.once('error', onError);
    server.listen(options.port ?? defaultPort, options.host ?? defaultHost, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${shownHost}:${address.port}`;

  // Reloads run one at a time; an edit during a reload queues one more.
  let reloading: Promise<ReloadOutcome> | undefined;
  let again = false;
  let failedDigest: string | undefined;
  async function reloadOnce(): Promise<ReloadOutcome> {
    let digest: string | undefined;
    try {
      // Folders are taken even from a read that fails: a broken file in a new
      // subfolder must be watched, or its fix would go unseen.
      const read = await readInventory(find, snapshot.digest, { onDigest: (d) => (digest = d), onFolders: (f) => (folders = f) });
      lastReload = { at: new Date(), ok: true };
      failedDigest = undefined;
      if (!read.inventory) return 'unchanged';
      snapshot = newSnapshot(read.inventory, snapshot.index + 1, read.digest);
      log?.note('reloaded', { index: snapshot.index, hosts: snapshot.inventory.hosts.length });
      watches.release();
      return 'changed';
    } catch (error) {
      if (statusOf(error) === undefined) throw error;
      // The same broken bytes again (several events for one save): nothing new to say.
      if (digest !== undefined && digest === failedDigest) return 'failed';
      failedDigest = digest;
      const message = error instanceof Error ? error.message : String(error);
      lastReload = { at: new Date(), ok: false, error: message.split('\n')[0] ?? message };
      if (error instanceof InvalidFileError) {
        lastReload.problems = error.problems.map((problem) => ({
          ...(problem.at ? { file: problem.at.file, line: problem.at.line, col: problem.at.col, at: formatLocation(problem.at) } : {}),
          message: problem.message,
        }));
      }
      log?.note('reload failed; still serving the last good inventory', { index: snapshot.index, error: JSON.stringify(message) });
      return 'failed';
    } finally {
      restartWatch();
    }
  }
  function reload(): Promise<ReloadOutcome> {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      try {
        let outcome = await reloadOnce();
        while (again) {
          again = false;
          outcome = await reloadOnce();
        }
        return outcome;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  }

  let stopWatch: (() => void) | undefined;
  let watched = '';
  function restartWatch(): void {
    if (options.watch === false) return;
    // The folders the loader read (linked ones and linked files' targets included),
    // each watched on its own: Node's recursive watch sets itself up asynchronously
    // on Linux and can miss an early edit. A new subfolder is an event in its
    // parent; the reload that follows finds it and watches it too.
    const key = [...folders].sort().join('\u0000');
    if (key === watched) return;
    watched = key;
    stopWatch?.();
    stopWatch = watchFolders([...folders], () => {
      reload().catch((error: unknown) => log?.note('reload crashed (a bug)', { error: JSON.stringify(error instanceof Error ? error.stack : String(error)) }));
    }, { debounceMs: options.debounceMs ?? 100, onError: (error) => log?.note('file watch error', { error: JSON.stringify(error.message) }) });
  }
  restartWatch();

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      stopping = true;
      stopWatch?.();
      options.signal?.removeEventListener('abort', onAbort);
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Watchers get their answer now rather than a cut connection.
      watches.release();
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), limits.shutdownGraceMs);
      try {
        await done;
      } finally {
        clearTimeout(grace);
        log?.note('stopped', { index: snapshot.index });
        log?.flush();
        resolveClosed();
      }
    })();
    return closing;
  }
  const onAbort = (): void => {
    void close();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) void close();

  log?.note('listening', { url, index: snapshot.index, hosts: snapshot.inventory.hosts.length });
  return {
    url,
    port: address.port,
    get index() {
      return snapshot.index;
    },
    get watchers() {
      return watches.size;
    },
    reload,
    close,
    closed,
  };
}
