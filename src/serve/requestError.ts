/**
 * An HTTP request the metadata server refuses, with the status to answer. The
 * server maps the other known errors too (see `statusOf`); anything else is a
 * bug and becomes a logged 500.
 */
import { MusterError, NotFoundError, SelectorError, UsageError } from '../core/errors.js';

/** A refused request: `status` is the HTTP status, `message` one line for the client. */
export class RequestError extends MusterError {
  override name = 'RequestError';
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. `Allow` for a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The HTTP status for an error thrown while answering a request, or undefined
 * for an unknown error (a bug: logged with its stack, answered 500).
 */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof RequestError) return error.status;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof SelectorError || error instanceof UsageError) return 400;
  // Other expected failures are about the data (e.g. two names that become the
  // same shell variable): the request was fine, the inventory cannot say it.
  if (error instanceof MusterError) return 422;
  return undefined;
}
