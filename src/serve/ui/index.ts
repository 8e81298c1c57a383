/**
 * `muster serve --ui`: a read-only web view of the fleet on the metadata
 * server's own address, TLS and token. The handler hands every `/ui` request
 * here (its `ui` hook); this file routes it, checks the login, renders the
 * page from the current inventory snapshot and the history journal, and keeps
 * the rendered pages of the current change index (a 5,000-host fleet page is
 * rendered once per change, not once per viewer).
 */
import { gzipSync } from 'node:zlib';
import { MusterError } from '../../core/errors.js';
import { historyPath, type HistoryOptions } from '../../history/journal.js';
import type { Answer, HandlerState, ServeRequest, Wait } from '../handler.js';
import type { Prepared } from '../prepared.js';
import { maxUrlLength } from '../request.js';
import { statusOf } from '../requestError.js';
import { blockFor } from '../watches.js';
import { assetTypes, loadAssets } from './assets.js';
import { fleetPage } from './fleetPage.js';
import { hostPage } from './hostPage.js';
import { html, type Html } from './html.js';
import { JournalView } from './journalView.js';
import { page, uiResponse, type PageFrame } from './layout.js';
import { UiLive } from './live.js';
import { loginPage } from './loginPage.js';
import { runPage, runsPage } from './runsPage.js';
import { formField, UiSession } from './session.js';

/** Options of the web UI. */
export interface UiOptions {
  /** The API token, when the server has one: the UI then asks for it once (login form) and sets a cookie. */
  token?: string | undefined;
  /** Served over TLS: the cookie is then Secure. */
  secure?: boolean;
  /** Where the history journal is (as for `muster history`). */
  history?: HistoryOptions;
  /** Watch the journal for new runs (default true). */
  watchJournal?: boolean;
}

const htmlType = 'text/html; charset=utf-8';
const maxCachedPages = 64;

export class WebUi {
  readonly live: UiLive;
  readonly #session: UiSession | undefined;
  readonly #journal: JournalView;
  readonly #assets: Map<string, Buffer>;
  readonly #pages = new Map<string, Prepared>();
  #pagesIndex = 0;
  #pagesReload: unknown;

  constructor(options: UiOptions = {}) {
    this.#assets = loadAssets();
    this.#session = options.token === undefined ? undefined : new UiSession(options.token, options.secure === true);
    this.#journal = new JournalView(options.history ?? {});
    this.live = new UiLive(historyPath(options.history ?? {}), options.watchJournal !== false);
  }

  /** Answers a `/ui` request; a live poll at the current index is a `Wait` on the UI's own watch set. Throws only bugs. */
  handle(request: ServeRequest, state: HandlerState, waited: boolean): Answer | Wait {
    const index = this.live.index;
    const { method, url } = request;
    if (url.length > maxUrlLength) return this.#error(414, 'Request target too long', index);
    const mark = url.indexOf('?');
    const path = (mark < 0 ? url : url.slice(0, mark)).replace(/\/+$/, '');
    const params = new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1));
    let segments: string[];
    try {
      segments = path.split('/').slice(2).map((part) => decodeURIComponent(part));
    } catch {
      return this.#error(400, 'Malformed percent-encoding in the path', index);
    }
    const [first, second] = segments;
    if (first === 'assets' && second !== undefined && segments.length === 2) return this.#asset(request, second, index);
    if (first === 'login' && segments.length === 1) return this.#login(request, index);
    if (method !== 'GET' && method !== 'HEAD') return this.#error(405, `Method ${method} not allowed here (GET, HEAD)`, index, { allow: 'GET, HEAD' });
    if (this.#session && !this.#session.accepts(request.headers.cookie, request.headers.authorization)) {
      if (first === 'live') return this.#answer(request, uiResponse(401, 'application/json; charset=utf-8', '{"error":"log in at /ui/login"}\n', index));
      return this.#answer(request, uiResponse(401, htmlType, loginPage(index, url, false), index));
    }
    if (first === 'live' && segments.length === 1) return this.#livePoll(request, state, params, waited);
    try {
      return this.#answer(request, this.#page(segments, params, state));
    } catch (error) {
      const status = statusOf(error);
      if (status === undefined || !(error instanceof MusterError)) throw error;
      return this.#answer(request, this.#errorPage(status, error.message, index));
    }
  }

  /** Stops watching the journal; parked pages are answered. */
  stop(): void {
    this.live.stop();
  }

  #page(segments: string[], params: URLSearchParams, state: HandlerState): Prepared {
    const index = this.live.index;
    // A failed reload makes no new version, but the pages must say it: it also empties the cache.
    if (this.#pagesIndex !== index || this.#pagesReload !== state.lastReload) {
      this.#pages.clear();
      this.#pagesIndex = index;
      this.#pagesReload = state.lastReload;
    }
    // Keyed by what the page shows, so a cache buster or a tracking parameter costs no new render.
    const key = `${segments.join('\u0000')}\u0000${['q', 'host', 'command'].map((name) => params.get(name) ?? '').join('\u0000')}`;
    const cached = this.#pages.get(key);
    if (cached) return cached;
    this.#journal.refresh(this.live.journalIndex);
    const inventory = state.snapshot.inventory;
    const [first, second] = segments;
    let frame: PageFrame;
    let status = 200;
    if (segments.length === 0) {
      const view = fleetPage(inventory, this.#journal, params.get('q') ?? '');
      frame = { title: 'Fleet', tab: 'fleet', index, header: view.header, main: view.main };
      status = view.status;
    } else if (first === 'hosts' && second !== undefined && segments.length === 2) {
      const host = inventory.hostsByName.get(second);
      if (!host) return this.#errorPage(404, `No host named "${second}" in the inventory`, index);
      frame = { title: host.name, tab: 'host', index, main: hostPage(inventory, this.#journal, host) };
    } else if (first === 'runs' && segments.length === 1) {
      const view = runsPage(this.#journal, { host: params.get('host') ?? '', command: params.get('command') ?? '' });
      frame = { title: 'Runs', tab: 'runs', index, ...view };
    } else if (first === 'runs' && second !== undefined && segments.length === 2 && /^\d{1,15}$/.test(second)) {
      const view = runPage(this.#journal, Number(second), params.get('host') ?? '');
      frame = { title: `Run #${second}`, tab: 'runs', index, ...view };
    } else {
      return this.#errorPage(404, 'No such page', index);
    }
    const reload = state.lastReload;
    if (!reload.ok) {
      frame.warning = html`<p class="warning" role="alert">The inventory on disk does not load (${reload.error ?? 'see /v1/status'}${reload.problems?.[0]?.at ? html`, at ${reload.problems[0].at}` : ''}): showing the last good version, loaded ${state.snapshot.loadedAt.toISOString()}.</p>`;
    }
    const prepared = uiResponse(status, htmlType, page(frame), index);
    if (this.#pages.size < maxCachedPages) this.#pages.set(key, prepared);
    return prepared;
  }

  #livePoll(request: ServeRequest, state: HandlerState, params: URLSearchParams, waited: boolean): Answer | Wait {
    const given = params.get('index');
    const index = given !== null && /^\d{1,15}$/.test(given) ? Number(given) : undefined;
    const ms = waited ? 0 : blockFor(index, params.get('wait') ?? '5m', this.live.index, state.random);
    const answer = (): Answer => this.#answer(request, uiResponse(200, 'application/json; charset=utf-8', `${JSON.stringify({ index: this.live.index })}\n`, this.live.index));
    if (ms === 0) return answer();
    return { kind: 'wait', index: this.live.index, ms, resume: answer, watches: this.live.watches, current: () => this.live.index };
  }

  #login(request: ServeRequest, index: number): Answer {
    const session = this.#session;
    const next = safeNext(new URLSearchParams(request.url.split('?')[1] ?? '').get('next') ?? formField(request.body, 'next'));
    if (request.method === 'GET' || request.method === 'HEAD') return this.#answer(request, uiResponse(200, htmlType, loginPage(index, next, false), index));
    if (request.method !== 'POST') return this.#error(405, `Method ${request.method} not allowed here (GET, POST)`, index, { allow: 'GET, HEAD, POST' });
    if (!session) return this.#answer(request, uiResponse(303, htmlType, '', index, { location: next }));
    const token = formField(request.body, 'token') ?? '';
    if (!session.matches(token)) return { kind: 'response', response: uiResponse(401, htmlType, loginPage(index, next, true), index), note: 'wrong token' };
    return this.#answer(request, uiResponse(303, htmlType, '', index, { location: next, 'set-cookie': session.setCookie() }));
  }

  #asset(request: ServeRequest, name: string, index: number): Answer {
    const body = this.#assets.get(name);
    const type = assetTypes[name];
    if (!body || type === undefined) return this.#error(404, 'No such asset', index);
    const prepared = uiResponse(200, type, body, index);
    return this.#answer(request, { ...prepared, headers: { ...prepared.headers, 'cache-control': 'no-cache' } });
  }

  #errorPage(status: number, message: string, index: number): Prepared {
    const main: Html = html`<h1>${status === 404 ? 'Not found' : 'Cannot show this'}</h1><p class="error" role="alert">${message}</p><p><a href="/ui/">Back to the fleet</a></p>`;
    return uiResponse(status, htmlType, page({ title: String(status), tab: 'fleet', index, main }), index);
  }

  #error(status: number, message: string, index: number, extra: Record<string, string> = {}): Answer {
    return { kind: 'response', response: uiResponse(status, 'text/plain; charset=utf-8', `${message}\n`, index, extra), note: message };
  }

  /** Gzipped when the client takes it; HEAD without the body; a 304 for a matching If-None-Match. */
  #answer(request: ServeRequest, prepared: Prepared): Answer {
    const sent = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '') ? gzipped(prepared) : prepared;
    if (sent.status === 200 && request.headers['if-none-match'] === sent.headers['etag']) {
      const { 'content-length': _length, ...headers } = sent.headers;
      return { kind: 'response', response: { status: 304, headers, body: Buffer.alloc(0) } };
    }
    if (request.method === 'HEAD') return { kind: 'response', response: { ...sent, body: Buffer.alloc(0) } };
    return { kind: 'response', response: sent };
  }
}

const compressed = new WeakMap<Prepared, Prepared>();

/**
 * A page compressed, once per prepared page: a 5,000-host fleet page is ~600 kB of
 * repetitive markup and ~10% of that gzipped. Small answers are sent as they are.
 */
function gzipped(prepared: Prepared): Prepared {
  if (prepared.body.length < 1024) return prepared;
  let done = compressed.get(prepared);
  if (!done) {
    const body = gzipSync(prepared.body);
    // Another representation, so another ETag (RFC 9110 8.8.3).
    const etag = prepared.headers['etag']?.replace(/"$/, '-gz"');
    done = { status: prepared.status, body, headers: { ...prepared.headers, 'content-length': String(body.length), 'content-encoding': 'gzip', ...(etag ? { etag } : {}) } };
    compressed.set(prepared, done);
  }
  return done;
}

/** Where to go after logging in: a path of the UI only (never another site). */
function safeNext(next: string | undefined | null): string {
  return next && /^\/ui(\/[^\\]*)?$/.test(next.split('?')[0] ?? '') && !next.startsWith('//') ? next : '/ui/';
}

export { readBody } from './body.js';
