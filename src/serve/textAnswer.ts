/** The provisioning routes' answers: plain text, never cached, a refusal's first line as the access log's note. */
import type { Answer } from './handler.js';

/** A plain-text answer; `extra` headers are added (or replace the defaults). */
export function textAnswer(status: number, body: string, extra: Record<string, string> = {}): Answer {
  const bytes = Buffer.from(body);
  return {
    kind: 'response',
    response: { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(bytes.length), 'cache-control': 'no-store', ...extra }, body: bytes },
    ...(status >= 400 ? { note: body.trim() } : {}),
  };
}
