/**
 * A response as the server sends it: status, headers and body bytes. Route
 * answers are prepared once per inventory version and then sent as they are,
 * so the hot path is a map lookup and one write; errors are prepared the same
 * way, in the format the request asked for.
 */
import { createHash } from 'node:crypto';
import { shellQuote } from '../core/shell.js';
import { contentTypes, encodeData, type Format, type Json } from './format.js';

/** A response ready to send: a plain value, so a test can read it without a socket. */
export interface Prepared {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

/**
 * Prepares `text` as a response of `format`: Content-Type and Length, the
 * inventory version (X-Muster-Index), `no-cache` (clients revalidate with the
 * ETag rather than trust a copy) and, for a 200 only, an ETag from the bytes,
 * so an error never answers a later If-None-Match with a 304. `extra` headers
 * (Allow, WWW-Authenticate) come last.
 */
export function prepare(status: number, format: Format, text: string, index: number, extra: Readonly<Record<string, string>> = {}): Prepared {
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

/** A value in `format`: JSON and YAML encode the value, sh asks the route's own encoder (`sh`), called only then. */
export function encode(value: Json, sh: () => string, format: Format): string {
  return format === 'sh' ? sh() : encodeData(value, format);
}

/** An error body in the asked format; in sh it prints the message on stderr and fails, so `eval` never runs request text. */
export function errorBody(status: number, message: string, format: Format): string {
  if (format === 'sh') return `echo ${shellQuote(`muster serve: ${status}: ${message}`)} >&2\nfalse\n`;
  return encodeData({ error: message, status }, format);
}
