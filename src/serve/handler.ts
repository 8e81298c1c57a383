/**
 * The metadata server's answers as a function: `handle(request, state)` gives
 * the response to send, or says that the request is a blocking query to park
 * until the next inventory version. No socket and no timer here, so the HTTP
 * shell (server.ts) and the tests (handler.test.ts) call it alike, as Hono's
 * `app.request()` drives an app.
 *
 * In order: GET and HEAD only (405, with Allow); the bearer token, except for
 * /v1/health (401, with WWW-Authenticate); a target seen before in this version
 * (same Accept) is answered from the cache without parsing; else the target is
 * parsed (400/404/414), a blocking query waits (see `blockFor`), /v1/status and
 * /v1/health are made now, and every other route is prepared once per version.
 * If-None-Match with the current ETag gives a 304; HEAD gives the headers only.
 * Known errors (`statusOf`) become their status and a one-line message in the
 * asked format; anything else is a bug: logged with its stack, answered 500.
 */
import type { AccessLog } from './accessLog.js';
import type { BearerToken } from './bearerToken.js';
import { formatFromAccept, type Format } from './format.js';
import { errorBody, prepare, type Prepared } from './prepared.js';
import { maxUrlLength, parseRequest } from './request.js';
import { RequestError, statusOf } from './requestError.js';
import { preparedFor, remember } from './snapshot.js';
import { serverResponse, type ServerFacts } from './status.js';
import { blockFor, type WatchSet } from './watches.js';

/** The headers the handler reads; Node's `req.headers` is one. */
export interface RequestHeaders {
  readonly accept?: string | undefined;
  readonly authorization?: string | undefined;
  readonly 'if-none-match'?: string | undefined;
  readonly cookie?: string | undefined;
  readonly 'accept-encoding'?: string | undefined;
}

/** A request as a plain value. */
export interface ServeRequest {
  /** `GET`, `HEAD`, … as sent. */
  readonly method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The body, read only for the web UI's login form (the API takes none). */
  readonly body?: Buffer | undefined;
}

/** What the handler reads: the server's facts (snapshot, last reload, watchers) and its settings. */
export interface HandlerState extends ServerFacts {
  /** Required of every request but /v1/health, when set. */
  readonly token?: BearerToken | undefined;
  /** Where a bug (an unknown error) is logged with its stack. */
  readonly log?: AccessLog | undefined;
  /** The jitter of blocking queries (default Math.random). */
  readonly random?: (() => number) | undefined;
  /** The web UI (`serve --ui`): answers every /ui request itself, its login included. */
  readonly ui?: { handle(request: ServeRequest, state: HandlerState, waited: boolean): Answer | Wait } | undefined;
}

/** A response to send; `note` is the reason of a refusal or error, for the access log. */
export interface Answer {
  kind: 'response';
  response: Prepared;
  note?: string;
}

/**
 * A blocking query: park it until a snapshot newer than `index` is served or
 * `ms` pass (whichever comes first; the shell also answers at once when it
 * stops), then send what `resume()` gives, made from the state at that moment.
 */
export interface Wait {
  kind: 'wait';
  /** The version the handler saw; `park` answers at once if another is current by then (no news is missed). */
  index: number;
  ms: number;
  resume: () => Answer;
  /** The web UI's wait: parked in its own watch set, news being `current()` other than `index`. */
  watches?: WatchSet;
  current?: () => number;
}

const noBody = Buffer.alloc(0);

/** Answers `request` from `state` (see the file header for the rules). Never throws. */
export function handle(request: ServeRequest, state: HandlerState): Answer | Wait {
  try {
    return route(request, state, false);
  } catch (error) {
    return failureAnswer(request, state, error);
  }
}

function resume(request: ServeRequest, state: HandlerState): Answer {
  try {
    // With `waited`, `route` never asks to wait again.
    return route(request, state, true) as Answer;
  } catch (error) {
    return failureAnswer(request, state, error);
  }
}

function route(request: ServeRequest, state: HandlerState, waited: boolean): Answer | Wait {
  const { method, url, headers } = request;
  if (state.ui && (url === '/ui' || url.startsWith('/ui/') || url.startsWith('/ui?'))) return state.ui.handle(request, state, waited);
  if (method !== 'GET' && method !== 'HEAD') {
    throw new RequestError(405, `Method ${method} not allowed: this server is read-only (GET, HEAD)`, { allow: 'GET, HEAD' });
  }
  if (state.token && !state.token.accepts(headers.authorization)) {
    const path = url.split('?', 1)[0] ?? '';
    if (path !== '/v1/health' && !path.startsWith('/v1/health.')) {
      throw new RequestError(401, 'Missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="muster"' });
    }
  }
  const snapshot = state.snapshot;
  const fastKey = `${url}\n${headers.accept ?? ''}`;
  const hit = snapshot.byUrl.get(fastKey);
  if (hit) return send(request, hit);
  if (url.length > maxUrlLength) throw new RequestError(414, `Request target too long (at most ${maxUrlLength} bytes)`);
  const parsed = parseRequest(url, headers.accept);
  if (!waited) {
    const ms = blockFor(parsed.index, parsed.wait, snapshot.index, state.random);
    if (ms > 0) return { kind: 'wait', index: snapshot.index, ms, resume: () => resume(request, state) };
  }
  const [first, second] = parsed.segments;
  if (first === 'v1' && (second === 'status' || second === 'health') && parsed.segments.length === 2) {
    return send(request, serverResponse(second, parsed.format, state));
  }
  const prepared = preparedFor(snapshot, parsed);
  if (parsed.index === undefined && parsed.wait === undefined) remember(snapshot.byUrl, fastKey, prepared);
  return send(request, prepared);
}

/** `prepared` as this request gets it: a 304 when its ETag matches If-None-Match, the headers alone for HEAD. */
function send(request: ServeRequest, prepared: Prepared): Answer {
  const match = request.headers['if-none-match'];
  if (prepared.status === 200 && match !== undefined && match === prepared.headers['etag']) {
    const { 'content-length': _length, ...headers } = prepared.headers;
    return { kind: 'response', response: { status: 304, headers, body: noBody } };
  }
  if (request.method === 'HEAD') return { kind: 'response', response: { status: prepared.status, headers: prepared.headers, body: noBody } };
  return { kind: 'response', response: prepared };
}

/** The format an error should be said in: the one the request asked for, if it can be told. */
function errorFormat(request: ServeRequest): Format {
  try {
    return parseRequest(request.url, request.headers.accept).format;
  } catch {
    // The request target itself is what is wrong: fall back to what Accept asks for.
    return formatFromAccept(request.headers.accept);
  }
}

/**
 * The answer to `error`, met while answering `request`: a known error
 * (`statusOf`) as its status and a one-line message in the asked format;
 * anything else is a bug, logged with its stack and answered 500. `handle`
 * answers its own errors so, and the HTTP shell an error in sending, so that
 * a bug is logged and worded one way wherever it happens.
 */
export function failureAnswer(request: ServeRequest, state: HandlerState, error: unknown): Answer {
  const status = statusOf(error);
  if (status === undefined) {
    state.log?.note('internal error (a bug)', { url: JSON.stringify(request.url), stack: JSON.stringify(error instanceof Error ? error.stack : String(error)) });
  }
  const message = status === undefined ? 'Internal error (logged)' : (error as Error).message;
  const headers = error instanceof RequestError ? error.headers : {};
  const format = errorFormat(request);
  const answer = send(request, prepare(status ?? 500, format, errorBody(status ?? 500, message, format), state.snapshot.index, headers));
  return { ...answer, note: message.split('\n')[0] ?? '' };
}
