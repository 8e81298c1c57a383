/**
 * `muster serve`: a read-only HTTP(S) server answering questions about the
 * inventory (hosts, roles, groups, selections, Prometheus discovery) in JSON,
 * YAML or sh. Responses are prepared once per inventory version and then
 * served from memory; the inventory is watched and reloaded on edits (an
 * invalid edit keeps the last good version serving); blocking queries let
 * clients wait for the next version.
 *
 * The pieces, each testable alone: `Reloader` (reloader.ts) keeps the current
 * snapshot and the last reload's result; `handle` (handler.ts) answers a
 * request from them, or says how long to park it; `listenHttp` (httpShell.ts)
 * listens with the limits and closes gracefully; `park` (park.ts) holds a
 * blocking query in a `WatchSet` until the next version. This file wires them
 * together, writes the access log, and turns a throw while sending (a bug)
 * into a logged 500 or a cut connection, never a crash.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FindOptions } from '../inventory/index.js';
import { createAccessLog, type AccessLog } from './accessLog.js';
import type { AgentEnroller } from './agentEnroller.js';
import { BearerToken } from './bearerToken.js';
import { failureAnswer, handle, type Answer, type ServeRequest } from './handler.js';
import { liveState } from './liveState.js';
import { defaultLimits, listenHttp, type Limits, type TlsFiles } from './httpShell.js';
import { park } from './park.js';
import { ProvisionKeeper, type ProvisionKeeping } from './provisionKeeper.js';
import { isProvisionRequest, provisionAnswer, withoutToken } from './provisionRoute.js';
import { ProvisionKeys } from '../provision/hostKey.js';
import { Reloader, type ReloadOutcome } from './reloader.js';
import type { ServedSource } from './servedSource.js';
import type { Snapshot } from './snapshot.js';
import { WatchSet } from './watches.js';
import { readBody, WebUi, type UiOptions } from './ui/index.js';

export { defaultLimits, type Limits } from './httpShell.js';
export type { ReloadOutcome } from './reloader.js';

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
  tls?: TlsFiles;
  /** A bearer token every request except `/v1/health` must send (`Authorization: Bearer TOKEN`). */
  token?: string;
  /** Where request lines go; `false` for none. Default: plain lines on stderr. */
  accessLog?: AccessLog | false;
  /** Watch the inventory files and reload on edits (default true). */
  watch?: boolean;
  /** Quiet time after a file event before reloading (default 100 ms). */
  debounceMs?: number;
  /** A reload reads files only once unchanged this long (default 200 ms), so a file written in chunks is one version. */
  settleMs?: number;
  /** A reload waits at most this long for files that keep changing, then fails (default 10 s). */
  maxSettleMs?: number;
  /**
   * Opens another source than the inventory files (the KV bucket: `BucketSource.open`), given
   * the log and what to call on each new snapshot; `inventory`, `watch` and the settle times
   * are then unused. Throws as `Reloader.open` does: the server never starts without a snapshot.
   */
  openSource?: (hooks: { log: AccessLog | undefined; onChange: (snapshot: Snapshot) => void; signal?: AbortSignal }) => Promise<ServedSource>;
  /** Also serve the web view of the fleet at /ui/ (docs/ui.md); `true` for the defaults. */
  ui?: boolean | UiOptions;
  /**
   * The fleet CA, for the installer's `enroll.sh` and `POST /v1/provision/HOST/enroll`
   * (enrollRoute.ts); `muster serve` gives the CLI's (cli/serveEnroll.ts). Absent: those 404.
   */
  enroller?: AgentEnroller;
  /** Keep this network-boot tree as `muster provision sync` writes it, at start and after every reload (provisionKeeper.ts). */
  provision?: ProvisionKeeping;
  /** Request limits; defaults in `defaultLimits`. */
  limits?: Partial<Limits>;
  signal?: AbortSignal;
}

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

/**
 * Loads the inventory (throws if it is invalid: the server never starts on a
 * broken inventory), starts listening, and starts watching the files. A
 * place it cannot listen on is a `ListenError` naming the option `port`.
 *
 * @example
 * const server = await startServer({ inventory: { path: 'muster.yaml' }, port: 0 });
 * console.log(server.url); // http://127.0.0.1:40123
 */
export async function startServer(options: ServeOptions = {}): Promise<MetadataServer> {
  const limits: Limits = { ...defaultLimits, ...options.limits };
  const log = options.accessLog === false ? undefined : options.accessLog ?? createAccessLog();
  const watches = new WatchSet();
  const ui = options.ui ? new WebUi({ token: options.token, secure: options.tls !== undefined, ...(options.ui === true ? {} : options.ui) }) : undefined;
  // Installers reach a server with a token by their host's key (provision/hostKey.ts): the tree kept here carries the keys too.
  const keys = options.token === undefined ? undefined : new ProvisionKeys(options.token);
  const keeper = options.provision ? new ProvisionKeeper({ ...options.provision, ...(keys ? { keys } : {}) }, log) : undefined;
  const onChange = (snapshot: Snapshot): void => {
    watches.release();
    ui?.live.changed();
    keeper?.changed(snapshot.inventory, snapshot.index);
  };
  const reloader: ServedSource = options.openSource
    ? await options.openSource({ log, onChange, ...(options.signal ? { signal: options.signal } : {}) })
    : await Reloader.open({
    ...(options.inventory ? { inventory: options.inventory } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    watch: options.watch !== false,
    debounceMs: options.debounceMs ?? 100,
    settleMs: options.settleMs,
    maxSettleMs: options.maxSettleMs,
    log,
    onChange,
  });
  const state = liveState(reloader, watches, {
    token: options.token === undefined ? undefined : new BearerToken(options.token),
    log,
    ui,
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    // Read now: by 'close' the socket may be gone (a refusal answered before its body was read, then cut).
    const remote = req.socket.remoteAddress ?? '-';
    let note: string | undefined;
    let bytes = 0;
    res.once('close', () => {
      log?.log({
        time: new Date(),
        remote,
        method: req.method ?? '-',
        url: withoutToken(req.url ?? ''),
        status: res.statusCode,
        bytes,
        ms: performance.now() - started,
        ...(note ? { error: note } : {}),
      });
    });
    const send = (answer: Answer): void => {
      note = answer.note;
      res.writeHead(answer.response.status, answer.response.headers);
      bytes = answer.response.body.length;
      res.end(answer.response.body);
    };
    let request: ServeRequest = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers };
    const respond = async (): Promise<void> => {
      // Provisioning (provisionRoute.ts) has its own rules: POST, the token also as ?token=, plain text.
      if (isProvisionRequest(req.url)) return send(await provisionAnswer(req, { inventory: state.snapshot.inventory, token: state.token, keys, log, tls: options.tls !== undefined, enroller: options.enroller }));
      // Only the UI's login form has a body; every other request is answered before any await.
      if (ui && req.method === 'POST' && req.url?.startsWith('/ui/login')) request = { ...request, body: await readBody(req) };
      const handled = handle(request, state);
      // An answer at once is sent in this same call, before the first await.
      const answer = handled.kind === 'response' ? handled : await park(handled, watches, state, res);
      if (answer) return send(answer);
      note = 'client went away';
      if (!res.headersSent) res.destroy();
    };
    const fail = (error: unknown): void => {
      // `handle` never throws, so this is a bug of the shell (in sending, say): logged with its stack,
      // then a 500 if no header went out yet; a response begun cannot be mended, so it is cut.
      const answer = failureAnswer(request, state, error);
      note = answer.note;
      if (res.headersSent) res.destroy();
      else send(answer);
    };
    // One chain and one catch for both paths: a throw neither escapes the 'request' listener nor goes unhandled after a wait.
    respond()
      .catch(fail)
      // The 500 could not be sent either (the error is already logged): cut the connection.
      .catch(() => res.destroy());
  };

  const shell = await listenHttp({ host: options.host ?? defaultHost, port: options.port ?? defaultPort, tls: options.tls, limits, log }, onRequest);
  keeper?.changed(reloader.snapshot.inventory, reloader.snapshot.index);
  reloader.watch();
  ui?.live.watch();

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      reloader.stop();
      ui?.stop();
      options.signal?.removeEventListener('abort', onAbort);
      try {
        // Watchers get their answer now rather than a cut connection; later ones do not wait.
        await shell.close(() => watches.close());
        await keeper?.idle();
      } finally {
        log?.note('stopped', { index: reloader.snapshot.index });
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

  log?.note('listening', { url: shell.url, index: reloader.snapshot.index, hosts: reloader.snapshot.inventory.hosts.length });
  return {
    url: shell.url,
    port: shell.port,
    get index() {
      return reloader.snapshot.index;
    },
    get watchers() {
      return watches.size;
    },
    reload: () => reloader.reload(),
    close,
    closed,
  };
}
