/**
 * /etc/hosts as muster hosts: each line's first name is the host, its address
 * the line's address, its other names (aliases) kept in the host's note.
 * Loopback and IPv6 multicast/localhost lines are skipped, and a name seen on
 * an earlier line keeps that line (as the resolver does); both said.
 */
import { readFileSync } from 'node:fs';
import { MusterError } from '../../core/errors.js';
import { namePattern } from '../../inventory/schema.js';
import { emptyFleet, type ImportedFleet } from './model.js';

const local = /^(127\.|::1$|fe00::|ff0[0-9a-f]::|0\.0\.0\.0$)/i;

/** The fleet of the hosts file `path`. */
export function readHostsFile(path: string): ImportedFleet {
  const fleet = emptyFleet(`the hosts file ${path}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MusterError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, index) => {
    const [address, name, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/).filter((word) => word !== '');
    const at = `${path}:${index + 1}`;
    if (address === undefined) return;
    if (name === undefined) throw new MusterError(`${at}:1: an address without a name`);
    if (local.test(address)) return;
    if (!namePattern.test(name)) {
      fleet.unmapped.push(`${at}: "${name}" is not a muster host name; left out`);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      fleet.unmapped.push(`${at}: ${name} is already on line ${first}; this line (${address}) is left out`);
      return;
    }
    seen.set(name, index + 1);
    fleet.hosts.push({ name, address, roles: [], vars: {}, ...(aliases.length > 0 ? { note: `aliases: ${aliases.join(' ')}` } : {}) });
  });
  return fleet;
}
