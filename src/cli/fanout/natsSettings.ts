/**
 * What `--transport nats` needs besides the hosts: where the broker is (the inventory's
 * `agents.servers`) and who this operator is — `--operator NAME`, else `$MUSTER_OPERATOR`,
 * else the only certificate in `STATE/ca/operators/` — and that operator's files there
 * (`operatorFiles`, docs/agents.md "Files and names").
 */
import { readdirSync } from 'node:fs';
import { caPaths, operatorFiles, stateDirFor } from '../../ca/paths.js';
import { UsageError } from '../../core/errors.js';
import type { Inventory } from '../../inventory/types.js';
import type { NatsTransportOptions } from '../../transport/nats/transport.js';

/**
 * The nats transport's options for this inventory and operator. Throws UsageError when the
 * inventory names no broker, or no operator can be told (none, or several certificates).
 */
export function natsSettings(inventory: Inventory | undefined, operator: string | undefined, env: NodeJS.ProcessEnv = process.env): Omit<NatsTransportOptions, 'connectTimeoutMs'> {
  const servers = inventory?.agents?.servers ?? [];
  if (servers.length === 0) throw new UsageError('The nats transport needs the broker: the inventory has no agents.servers (see docs/agents.md)');
  const stateDir = stateDirFor(inventory, env);
  const name = operator ?? (env['MUSTER_OPERATOR'] || undefined) ?? onlyOperator(caPaths(stateDir).operators);
  const files = operatorFiles(stateDir, name);
  return { servers, operator: name, cert: files.cert, key: files.key, ca: files.ca };
}

/** The one operator whose certificate is in `dir`; a usage error naming the choices otherwise. */
function onlyOperator(dir: string): string {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((file) => file.endsWith('.crt')).map((file) => file.slice(0, -'.crt'.length)).sort();
  } catch {
    // No such folder: no operator, said below.
  }
  if (names.length === 1) return names[0] as string;
  if (names.length === 0) throw new UsageError(`No operator certificate in ${dir}: give --operator NAME (or MUSTER_OPERATOR), or make one with muster ca`);
  throw new UsageError(`Several operator certificates in ${dir} (${names.join(', ')}): give --operator NAME (or MUSTER_OPERATOR)`);
}
