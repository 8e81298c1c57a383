/**
 * Turning a raw request target into a route, defensively: the path is split on
 * `/` before percent-decoding (so `%2F` never makes a new segment), every
 * segment must decode as UTF-8, and `.`/`..`, control characters, overlong
 * names and deep paths are refused. Nothing here ever touches the file system.
 */
import { type Format, formatParam, formatFromAccept, splitSuffix } from './format.js';
import type { RouteQuery } from './resources.js';
import { RequestError } from './requestError.js';

/** Request-target length cap (a 414 past it). */
export const maxUrlLength = 4096;
/** Longest path segment or query value, decoded; DNS names stop at 253. */
export const maxNameLength = 255;
const maxSegments = 6;
const maxParams = 32;

/** A request, parsed: the route's segments, the format asked for, and the query. */
export interface ParsedRequest {
  /** Decoded segments, without any format suffix. */
  segments: string[];
  /** The same segments with the last one kept whole, when it had a suffix (`web.example.sh` may be a name). */
  unsuffixed?: string[];
  format: Format;
  /** Whether the format came from a suffix (then `unsuffixed` is answered in the other format). */
  formatFromSuffix: boolean;
  /** The format to use for `unsuffixed`. */
  fallbackFormat: Format;
  query: RouteQuery;
  /** `?index=N` of a blocking query. */
  index?: number;
  /** `?wait=` as written. */
  wait?: string;
}

/** Decodes one percent-encoded piece, refusing malformed or control-character input. */
function decode(text: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new RequestError(400, `Malformed percent-encoding in ${what}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw new RequestError(400, `Control characters are not allowed in ${what}`);
  if (decoded.length > maxNameLength) throw new RequestError(400, `Too long ${what} (${decoded.length} characters; at most ${maxNameLength})`);
  return decoded;
}

/**
 * Parses `url` (the request target, as Node gives it) and the `Accept` header.
 * Throws `RequestError` 400/404/414 for targets no route can match safely.
 */
export function parseRequest(url: string, accept: string | undefined): ParsedRequest {
  if (url.length > maxUrlLength) throw new RequestError(414, `Request target too long (${url.length} bytes; at most ${maxUrlLength})`);
  if (!url.startsWith('/')) throw new RequestError(400, 'Request target must be a path starting with "/"');
  const mark = url.indexOf('?');
  let path = mark < 0 ? url : url.slice(0, mark);
  const search = mark < 0 ? '' : url.slice(mark + 1);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const raw = path === '/' ? [] : path.slice(1).split('/');
  if (raw.length > maxSegments) throw new RequestError(404, 'No such route (path too deep)');
  const segments = raw.map((segment) => decode(segment, 'path segment'));
  for (const segment of segments) {
    if (segment === '') throw new RequestError(404, 'No such route (empty path segment)');
    if (segment === '.' || segment === '..') throw new RequestError(400, 'Path segments "." and ".." are not allowed');
  }

  const query: RouteQuery = { q: [], sel: [], allStates: false };
  let format: Format | undefined;
  let index: number | undefined;
  let wait: string | undefined;
  const pairs = search === '' ? [] : search.split('&');
  if (pairs.length > maxParams) throw new RequestError(400, `Too many query parameters (at most ${maxParams})`);
  for (const pair of pairs) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decode((equals < 0 ? pair : pair.slice(0, equals)).replaceAll('+', ' '), 'query parameter name');
    const value = decode((equals < 0 ? '' : pair.slice(equals + 1)).replaceAll('+', ' '), `query parameter "${key}"`);
    switch (key) {
      case 'q': query.q.push(value); break;
      case 'sel': query.sel.push(value); break;
      case 'port': query.port = value; break;
      case 'all_states': query.allStates = value === '' || value === '1' || value === 'true'; break;
      case 'format': format = formatParam(value); break;
      case 'index': {
        if (!/^\d{1,15}$/.test(value)) throw new RequestError(400, `Invalid index "${value}": use the X-Muster-Index of an earlier response`);
        index = Number(value);
        break;
      }
      case 'wait': wait = value; break;
      default: break; // Unknown parameters are ignored, as most HTTP APIs do (cache busters, tracing).
    }
  }

  const fallbackFormat = format ?? formatFromAccept(accept);
  const last = segments[segments.length - 1];
  const split = last === undefined ? undefined : splitSuffix(last);
  const parsed: ParsedRequest = split
    ? { segments: [...segments.slice(0, -1), split[0]], unsuffixed: segments, format: split[1], formatFromSuffix: true, fallbackFormat, query }
    : { segments, format: fallbackFormat, formatFromSuffix: false, fallbackFormat, query };
  if (index !== undefined) parsed.index = index;
  if (wait !== undefined) parsed.wait = wait;
  return parsed;
}

/** A key naming what a parsed request asks for, for the response cache. */
export function cacheKey(segments: string[], format: Format, query: RouteQuery): string {
  const q = JSON.stringify([query.q, query.sel, query.port ?? null, query.allStates]);
  return `${format}\u0000${segments.join('\u0000')}\u0000${q}`;
}
