/**
 * Test helpers for the metadata server: a temp copy of the test fleet, a
 * server on 127.0.0.1 port 0, and raw HTTP requests (node:http, so paths are
 * sent exactly as written — fetch would normalise `..` and `%2e`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type MetadataServer, type ServeOptions } from './server.js';

export const fleetText = readFileSync(new URL('../../src/serve/testdata/fleet.yaml', import.meta.url), 'utf8');

/** A temp folder holding `muster.yaml` (the test fleet, or `text`). */
export function tempInventory(text = fleetText): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'muster-serve-'));
  const file = join(dir, 'muster.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

let edits = 0;

/** Rewrites `file` as the test fleet with a new comment: other bytes, the same data, so a reload makes a new version. */
export function editInventory(file: string): void {
  edits += 1;
  writeFileSync(file, `${fleetText}\n# edit ${edits}\n`);
}

/** Starts a server on a free port over `file`, access log off unless given; short debounce and settle times, for quick tests. */
export function serverFor(file: string, options: ServeOptions = {}): Promise<MetadataServer> {
  return startServer({ inventory: { path: file }, host: '127.0.0.1', port: 0, accessLog: false, debounceMs: 20, settleMs: 20, ...options });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request, path sent verbatim. */
export function get(server: { port: number }, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Yields to the event loop until `ready()` (events, not a clock, decide). */
export async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}
