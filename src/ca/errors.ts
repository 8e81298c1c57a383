/**
 * The expected failures of the fleet CA. Each prints as one line at the CLI (exit 2); the
 * message says what was refused, why, and the command that gets past it.
 */
import { MusterError } from '../core/errors.js';

/** The CA cannot do what was asked: no CA yet, one already there, openssl refused, a bad name. */
export class CaError extends MusterError {
  override name = 'CaError';
}

/** A certificate signing request that is refused: not a CSR, wrong subject, unknown host, another key. */
export class CsrRefusedError extends CaError {
  override name = 'CsrRefusedError';
}
