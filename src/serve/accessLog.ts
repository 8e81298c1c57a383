/**
 * The access log: one line per request, on stderr by default, plain or JSON.
 * Lines are gathered and written once per event-loop turn, so logging costs
 * one write per burst of requests rather than one per request. Headers (and
 * so the bearer token) are never logged.
 */

/** One request, as logged. */
export interface AccessEntry {
  time: Date;
  remote: string;
  method: string;
  url: string;
  status: number;
  bytes: number;
  ms: number;
  /** The reason of a refused request, or the error of a 500. */
  error?: string;
}

/** A logger of requests with an explicit `flush` (called at shutdown). */
export interface AccessLog {
  log(entry: AccessEntry): void;
  /** A line about the server itself (start, reload, stop). */
  note(message: string, fields?: Record<string, string | number>): void;
  flush(): void;
}

/** Makes an access log writing to `write` (default: stderr), as JSON Lines when `json`. */
export function createAccessLog(options: { json?: boolean; write?: (text: string) => void } = {}): AccessLog {
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  const push = (line: string): void => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return {
    log(entry) {
      if (options.json) {
        push(`${JSON.stringify({ time: entry.time.toISOString(), remote: entry.remote, method: entry.method, url: entry.url, status: entry.status, bytes: entry.bytes, ms: Number(entry.ms.toFixed(3)), ...(entry.error ? { error: entry.error } : {}) })}\n`);
      } else {
        // The URL is JSON-quoted: a request cannot forge log lines with CR/LF or escapes.
        push(`${entry.time.toISOString()} ${entry.remote} ${entry.method.slice(0, 16)} ${JSON.stringify(entry.url)} ${entry.status} ${entry.bytes} ${entry.ms.toFixed(1)}ms${entry.error ? ` ${JSON.stringify(entry.error)}` : ''}\n`);
      }
    },
    note(message, fields = {}) {
      if (options.json) push(`${JSON.stringify({ time: new Date().toISOString(), message, ...fields })}\n`);
      else push(`muster serve: ${message}${Object.entries(fields).map(([k, v]) => ` ${k}=${v}`).join('')}\n`);
    },
    flush,
  };
}
