/** Looking up one host by name. */
import { NotFoundError } from '../core/errors.js';
import type { Host, Inventory } from './types.js';

/**
 * The resolved host named `name` (vars with precedence applied, provenance for
 * each value). Throws `NotFoundError`, suggesting close names when there are some.
 *
 * @example resolveHost(inventory, 'web001').vars['http_port'] // 80
 */
export function resolveHost(inventory: Inventory, name: string): Host {
  const host = inventory.hostsByName.get(name);
  if (host) return host;
  const close = inventory.hosts.filter((candidate) => candidate.name.startsWith(name) || name.startsWith(candidate.name.split('.')[0] ?? '')).slice(0, 5).map((candidate) => candidate.name);
  throw new NotFoundError('host', name, close.length > 0 ? `did you mean ${close.join(', ')}?` : undefined);
}
