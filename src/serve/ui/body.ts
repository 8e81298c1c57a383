/** Reading the login form's body: small (a token and a path), so a body past the cap is refused rather than buffered. */
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../requestError.js';

/** The cap on a form body: far above a token, far below harm. */
export const maxBodyBytes = 8192;

/** The request's body; a RequestError 413 past `maxBodyBytes` (the connection is then closed, not drained). */
export async function readBody(req: IncomingMessage, max = maxBodyBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new RequestError(413, `Request body too large (at most ${max} bytes)`, { connection: 'close' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
