/**
 * The nats-server configuration files of muster's broker, generated from the inventory
 * and the CA's records, like `muster gen` generates monitoring config (docs/broker.md).
 *
 * Node N (1-based) listens where `agents.servers[N-1]` says; its cluster port is the client
 * port + 2000 and its monitor port (127.0.0.1 only) the client port + 4000, as nats-server's
 * own defaults 4222/6222/8222 are. Every node includes the one `auth.conf`, which holds the
 * client TLS block (with the pinned keys) and the users: `ca sign` and `ca revoke` rewrite
 * that file and SIGHUP the nodes, and nothing else changes. Only nats-server 2.9 settings.
 */
import { dirname, join } from 'node:path';
import { caPaths, brokerDir } from '../ca/paths.js';
import type { CertRecord } from '../ca/records.js';
import { UsageError } from '../core/errors.js';
import type { Inventory } from '../inventory/types.js';
import { brokerUsers, pinnedKeys, userFor, type BrokerUsersOptions } from './authorization.js';

/** One generated file: absolute path and content. */
export interface BrokerFile {
  path: string;
  content: string;
}

/** Where one node listens and keeps its files. */
export interface BrokerNode {
  /** 1-based. */
  index: number;
  /** `muster-N`: routes and JetStream know a node by it. */
  serverName: string;
  host: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  /** The URL clients use, as the inventory writes it. */
  url: string;
  config: string;
  pidFile: string;
  logFile: string;
  storeDir: string;
}

/** What `brokerConfigs` builds. */
export interface BrokerConfigOptions extends BrokerUsersOptions {
  /** How many nodes (default 1): the first N of `agents.servers`. */
  cluster?: number;
}

/** JetStream limits of each node; issue 12's key-value store is small, this is room, not a reservation. */
export const jetStreamLimits = { memory: '256MB', file: '4GB' } as const;

const clusterPortOffset = 2000;
const monitorPortOffset = 4000;

/** Parses `tls://host:port` (or `nats://`, or a bare `host:port`); a bracketed IPv6 host keeps its brackets. */
export function parseServer(url: string): { host: string; port: number } {
  const match = /^(?:(?:tls|nats):\/\/)?(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?$/.exec(url);
  if (!match?.[1]) throw new UsageError(`Invalid broker address "${url}" in agents.servers: expected tls://HOST:PORT`);
  const port = match[2] === undefined ? 4222 : Number(match[2]);
  if (!(port >= 1 && port <= 65535 - monitorPortOffset)) {
    throw new UsageError(`Invalid broker port in "${url}": the monitor port is the client port + ${monitorPortOffset}, so the client port must be 1 to ${65535 - monitorPortOffset}`);
  }
  return { host: match[1], port };
}

/** The nodes a cluster of `count` is made of (refused when the inventory lists fewer servers). */
export function brokerNodes(inventory: Inventory, stateDir: string, count = 1): BrokerNode[] {
  const servers = inventory.agents?.servers ?? ['tls://127.0.0.1:4222'];
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`Invalid cluster size ${count}: give a whole number of at least 1`);
  if (count > servers.length) {
    throw new UsageError(`A cluster of ${count} needs ${count} addresses in the inventory's agents.servers; it lists ${servers.length} (${servers.join(', ')})`);
  }
  const dir = brokerDir(stateDir);
  return servers.slice(0, count).map((url, at) => {
    const { host, port } = parseServer(url);
    const index = at + 1;
    return {
      index, serverName: `muster-${index}`, host, port, url,
      clusterPort: port + clusterPortOffset, monitorPort: port + monitorPortOffset,
      config: join(dir, `node-${index}.conf`), pidFile: join(dir, `node-${index}.pid`),
      logFile: join(dir, `node-${index}.log`), storeDir: join(dir, `jetstream-${index}`),
    };
  });
}

/** A string as the nats-server config reads it: JSON's quoting is a subset of what it accepts. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

function tlsFiles(stateDir: string): string {
  const ca = caPaths(stateDir);
  return `cert_file: ${quoted(ca.brokerCert)}\n    key_file: ${quoted(ca.brokerKey)}\n    ca_file: ${quoted(ca.cert)}`;
}

/**
 * `auth.conf`: the client TLS block with the pinned keys, and the users. Written on every
 * `ca sign` and `ca revoke` (through `refreshBrokers`), read by every node on SIGHUP.
 */
export function authConfig(inventory: Inventory, stateDir: string, records: CertRecord[], options: BrokerUsersOptions = {}): BrokerFile {
  const users = brokerUsers(inventory, records, options);
  // Only the keys of records that became users: an agent that left the inventory has no user,
  // and its key pinned would still let it through the handshake (to be refused only after it).
  const userNames = new Set(users.map((user) => `${user.kind}\0${user.name}`));
  const pins = pinnedKeys(records.filter((record) => userNames.has(`${record.kind}\0${record.name}`)));
  const lines = [
    '# Generated by muster from the inventory and the CA index: do not edit (muster broker config).',
    'tls {',
    `    ${tlsFiles(stateDir)}`,
    '    verify_and_map: true',
    '    timeout: 2',
    // An empty list would pin nothing, i.e. let any certificate of the CA through the handshake.
    `    pinned_certs: [${(pins.length > 0 ? pins : ['0'.repeat(64)]).map(quoted).join(', ')}]`,
    '}',
    'authorization {',
    '  users = [',
    ...users.map((user) => `    ${JSON.stringify({ user: user.user, permissions: user.permissions })}`),
    '  ]',
    '}',
    '',
  ];
  return { path: join(brokerDir(stateDir), 'auth.conf'), content: lines.join('\n') };
}

function nodeConfig(node: BrokerNode, nodes: BrokerNode[], stateDir: string): BrokerFile {
  const lines = [
    `# Generated by muster: node ${node.index} of ${nodes.length}. Do not edit (muster broker config).`,
    `server_name: ${quoted(node.serverName)}`,
    `listen: ${quoted(`${node.host}:${node.port}`)}`,
    `http: ${quoted(`127.0.0.1:${node.monitorPort}`)}`,
    'max_payload: 4MB',
    // nats-server writes it itself, so a node systemd started is found by status, down and reloads too.
    `pid_file: ${quoted(node.pidFile)}`,
    // nats-server_PID.ports appears once every listener is up: how `up` knows this node, not
    // whatever else holds the port, is ready. It is removed on shutdown.
    `ports_file_dir: ${quoted(dirname(node.pidFile))}`,
    'include "auth.conf"',
    'jetstream {',
    `  store_dir: ${quoted(node.storeDir)}`,
    `  max_memory_store: ${jetStreamLimits.memory}`,
    `  max_file_store: ${jetStreamLimits.file}`,
    '}',
  ];
  if (nodes.length > 1) {
    const routes = nodes.filter((other) => other !== node).map((other) => quoted(`tls://${other.host}:${other.clusterPort}`));
    lines.push(
      'cluster {',
      '  name: muster',
      `  listen: ${quoted(`${node.host}:${node.clusterPort}`)}`,
      `  routes: [${routes.join(', ')}]`,
      // Only the broker's own certificate may open a route: an agent's, signed by the same CA,
      // would otherwise be let in as a route, with no permissions at all.
      `  authorization { user: ${quoted(userFor('broker', 'broker'))} }`,
      '  tls {',
      `    ${tlsFiles(stateDir)}`,
      '    verify_and_map: true',
      '    timeout: 2',
      '  }',
      '}',
    );
  }
  lines.push('');
  return { path: node.config, content: lines.join('\n') };
}

/**
 * Every file of a broker of `options.cluster` nodes (default 1): `node-N.conf` per node and
 * the shared `auth.conf`, under `STATE/broker/`. Pass the active records
 * (`activeCertificates(await readIndex(stateDir))`). Refuses a cluster larger than
 * `agents.servers` with a UsageError.
 */
export function brokerConfigs(inventory: Inventory, stateDir: string, records: CertRecord[], options: BrokerConfigOptions = {}): BrokerFile[] {
  const nodes = brokerNodes(inventory, stateDir, options.cluster ?? 1);
  const { cluster: _cluster, ...userOptions } = options;
  return [...nodes.map((node) => nodeConfig(node, nodes, stateDir)), authConfig(inventory, stateDir, records, userOptions)];
}
