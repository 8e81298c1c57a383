/**
 * A server that cannot listen where it was told to. An environment failure
 * (the port is taken, the address is not this machine's), not a usage error;
 * its hint names the library option to change (`port`), and `messageWith` lets a
 * caller name it its own way (the CLI says `--listen`), as `OptionError` does.
 */
import { EnvironmentError, type NamesOptions } from '../core/errors.js';

/** Listening on `host:port` failed with `code` (EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOTFOUND, EAI_AGAIN). */
export class ListenError extends EnvironmentError implements NamesOptions {
  override name = 'ListenError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(listenMessage(host, port, code, (option) => option), options);
  }

  /** The message with the option called what `name` says. */
  messageWith(name: (option: string) => string): string {
    return listenMessage(this.host, this.port, this.code, name);
  }
}

function listenMessage(host: string, port: number, code: string, name: (option: string) => string): string {
  const hint = code === 'EADDRINUSE' ? ` (the port is taken; use ${name('port')} to pick another)` : code === 'ENOTFOUND' ? ' (no such host name)' : '';
  return `Cannot listen on ${host}:${port}: ${code}${hint}`;
}

/** The listen failures that are expected (a host name that does not resolve is as expected as a taken port); others are bugs. */
export const listenFailures: readonly string[] = ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'];
