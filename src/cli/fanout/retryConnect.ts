/**
 * `--retry N`: a host that could not be reached is connected to again, up to N more times,
 * waiting `--retry-delay` (1s), doubled after each attempt. Done in the fan-out front, as a
 * transport around the real one: only connecting is retried, so nothing ever runs twice on
 * a host (a connection lost mid-command is not retried), and the engine, its events and
 * `--max-fail` see one host that took longer to connect. Refused host keys and failed
 * logins are not retried: waiting does not change them.
 */
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { ConnectError, type Transport } from '../../transport/types.js';

export interface RetrySettings {
  retries: number;
  delayMs: number;
}

/** The `--retry`/`--retry-delay` options checked; undefined when there is nothing to retry. */
export function retrySettings(retry: string | undefined, delay: string | undefined): RetrySettings | undefined {
  if (retry === undefined) {
    if (delay !== undefined) throw new UsageError('--retry-delay needs --retry N');
    return undefined;
  }
  if (!/^\d+$/.test(retry)) throw new UsageError(`Invalid --retry "${retry}": give a whole number of retries`);
  const delayMs = delay === undefined ? 1000 : parseDuration(delay);
  return Number(retry) === 0 ? undefined : { retries: Number(retry), delayMs };
}

/** Waits `ms`, or less when `signal` aborts (then it rejects with the signal's reason). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** `transport` with connects retried on ConnectError (not auth, hostkey or aborted); the last error says how many attempts. */
export function retryConnects(transport: Transport, settings: RetrySettings): Transport {
  return {
    ...transport,
    name: transport.name,
    async connect(target, options) {
      let wait = settings.delayMs;
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await transport.connect(target, options);
        } catch (error) {
          const retriable = error instanceof ConnectError && !['auth', 'hostkey', 'aborted'].includes(error.reason);
          if (!retriable) throw error;
          if (attempt > settings.retries) throw new ConnectError(error.host, error.reason, `${error.message} (${attempt} attempts)`, { cause: error });
          await pause(wait, options?.signal);
          wait *= 2;
        }
      }
    },
    ...(transport.close ? { close: () => transport.close?.() ?? Promise.resolve() } : {}),
  };
}
