/**
 * What an import reader produces, whatever it read (Ansible, ClusterShell,
 * /etc/hosts): a fleet in muster's terms, one entry per host, plus what could
 * not be mapped. writeYaml.ts folds it into a muster.yaml.
 */
import type { VarValue } from '../../inventory/index.js';

/** One host as muster will hold it. */
export interface ImportedHost {
  name: string;
  /** Omitted when it is the name itself (muster connects to the name). */
  address?: string;
  user?: string;
  port?: number;
  roles: string[];
  vars: Record<string, VarValue>;
  note?: string;
}

/** A fleet in muster's terms; `unmapped` lines are said on stderr, one each. */
export interface ImportedFleet {
  /** Where it came from, for the header comment. */
  source: string;
  defaults: { user?: string; port?: number; vars: Record<string, VarValue> };
  roles: Map<string, { description?: string; vars: Record<string, VarValue> }>;
  /** Named selectors (muster `groups:`). */
  groups: Map<string, string>;
  hosts: ImportedHost[];
  unmapped: string[];
}

/** An empty fleet read from `source`. */
export function emptyFleet(source: string): ImportedFleet {
  return { source, defaults: { vars: {} }, roles: new Map(), groups: new Map(), hosts: [], unmapped: [] };
}
