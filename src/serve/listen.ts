/** The `listen` address forms of `muster serve` (`--listen ADDR` on the command line). */
import { OptionError } from '../core/errors.js';

/**
 * Parses `PORT`, `HOST:PORT`, `[IPV6]:PORT` or `HOST` (port `defaultPort`).
 * An empty host (`:7070`) is refused rather than read as "every interface":
 * binding beyond loopback should be written out (`0.0.0.0:7070`). A bad
 * address is an `OptionError` of the option `listen`.
 *
 * @example parseListen('127.0.0.2:8080', 7070) // { host: '127.0.0.2', port: 8080 }
 */
export function parseListen(text: string, defaultPort: number): { host: string; port: number } {
  const bad = (why: string): never => {
    throw new OptionError('listen', (name) => `Invalid ${name('listen')} "${text}": ${why} (use PORT, HOST:PORT or [IPV6]:PORT)`);
  };
  const port = (value: string): number => {
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) bad(`"${value}" is not a port number`);
    return Number(value);
  };
  if (/^\d+$/.test(text)) return { host: '127.0.0.1', port: port(text) };
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(text);
  if (v6) return { host: v6[1] ?? '', port: v6[2] === undefined ? defaultPort : port(v6[2]) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return text === '' ? bad('empty') : { host: text, port: defaultPort };
  if (text.indexOf(':') !== colon) bad('an IPv6 address needs brackets');
  const host = text.slice(0, colon);
  if (host === '') bad('no host (write 0.0.0.0:PORT to listen on every interface)');
  return { host, port: port(text.slice(colon + 1)) };
}
