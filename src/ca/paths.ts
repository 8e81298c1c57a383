/**
 * Where the fleet's keys and certificates live on the operator machine (docs/agents.md,
 * "Files and names"). The state folder holds private keys: it is never inside git.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The state folder: `$MUSTER_STATE`, else the inventory's `agents.state`, else `~/.local/state/muster`. */
export function stateDirFor(inventory?: { agents?: { state?: string } }, env: NodeJS.ProcessEnv = process.env): string {
  if (env['MUSTER_STATE']) return resolve(env['MUSTER_STATE']);
  if (inventory?.agents?.state) return inventory.agents.state;
  return join(env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state'), 'muster');
}

/** The files of the fleet CA under a state folder. */
export interface CaPaths {
  dir: string;
  key: string;
  cert: string;
  /** Every certificate signed, and its revocation. */
  index: string;
  /** CSRs waiting to be signed: NAME.csr, and NAME.json saying where it came from. */
  pending: string;
  agents: string;
  operators: string;
  /** Join credentials (`join/NAME.key`, `join/NAME.crt`). */
  joins: string;
  brokerCert: string;
  brokerKey: string;
}

export function caPaths(stateDir: string): CaPaths {
  const dir = join(stateDir, 'ca');
  return {
    dir,
    key: join(dir, 'ca.key'),
    cert: join(dir, 'ca.crt'),
    index: join(dir, 'index.json'),
    pending: join(dir, 'pending'),
    agents: join(dir, 'agents'),
    operators: join(dir, 'operators'),
    joins: join(dir, 'join'),
    brokerCert: join(dir, 'broker', 'server.crt'),
    brokerKey: join(dir, 'broker', 'server.key'),
  };
}

/** An operator's TLS identity: what the nats transport connects with. */
export interface OperatorFiles {
  name: string;
  cert: string;
  key: string;
  ca: string;
}

export function operatorFiles(stateDir: string, name: string): OperatorFiles {
  const paths = caPaths(stateDir);
  return { name, cert: join(paths.operators, `${name}.crt`), key: join(paths.operators, `${name}.key`), ca: paths.cert };
}

/** A join credential's files: what a new host connects with to ask to join (docs/join.md). */
export function joinFiles(stateDir: string, name: string): OperatorFiles {
  const paths = caPaths(stateDir);
  return { name, cert: join(paths.joins, `${name}.crt`), key: join(paths.joins, `${name}.key`), ca: paths.cert };
}

/** The broker's folder: generated configs, pid files, logs, JetStream stores. */
export function brokerDir(stateDir: string): string {
  return join(stateDir, 'broker');
}
