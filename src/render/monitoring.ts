/**
 * The monitoring model: which checks run on which host, with which command.
 * Inventory `checks:` entries apply to the hosts their `on` selector picks
 * (every host when absent); a host var `checks: { NAME: false }` drops one for
 * that host, `checks: { NAME: "command" }` replaces its command (or, for a name
 * the model does not have, adds a check for that host only). Commands are
 * templates rendered per host, so they can use the host's fields and vars.
 */
import { InvalidFileError, type Problem, type SourceLocation } from '../core/errors.js';
import type { Host, Inventory } from '../inventory/types.js';
import { select } from '../inventory/index.js';
import { hostTemplateContext } from './context.js';
import { renderTemplate } from './engine.js';

/** One check as it applies to one host. */
export interface HostCheck {
  name: string;
  /** The model's description, else the name. */
  description: string;
  /** The command, rendered for the host. */
  command: string;
  /** Where the command came from: the model, or the host's own `checks` var. */
  source: 'model' | 'host';
}

/**
 * Works out every selected host's checks, in model order then host-only ones.
 * Throws InvalidFileError listing every problem (a malformed `checks` host var,
 * `false` for a check the model does not have, a command that does not render).
 */
export function hostChecks(inventory: Inventory, hosts: readonly Host[]): Map<Host, HostCheck[]> {
  // Each check's selector is evaluated once, over every state: whether a host in
  // a skip state is monitored is the generator's decision, not the selector's.
  const applies = new Map<string, Set<Host>>();
  for (const check of inventory.checks.values()) {
    applies.set(check.name, check.on === 'all' ? new Set(inventory.hosts) : new Set(select(inventory, [check.on], { allStates: true }).hosts));
  }
  const problems: Problem[] = [];
  const result = new Map<Host, HostCheck[]>();
  for (const host of hosts) {
    const overrides = host.vars['checks'];
    const where = host.provenance['checks']?.at ?? host.definedAt;
    let own: Record<string, unknown> = {};
    if (overrides !== undefined && overrides !== null) {
      if (typeof overrides !== 'object' || Array.isArray(overrides)) {
        problems.push({ message: `host "${host.name}": the "checks" var must be a mapping of check name to false or a command`, at: where });
      } else {
        own = overrides;
      }
    }
    for (const [name, value] of Object.entries(own)) {
      if (value !== false && value !== true && typeof value !== 'string') {
        problems.push({ message: `host "${host.name}": checks.${name} must be false, true or a command string`, at: where });
      } else if (!inventory.checks.has(name) && typeof value !== 'string') {
        problems.push({ message: `host "${host.name}": checks.${name}: no check named "${name}" in the monitoring model (known: ${[...inventory.checks.keys()].join(', ') || 'none'})`, at: where });
      }
    }
    const list: HostCheck[] = [];
    let context: object | undefined;
    // Errors point at the check (or the host's `checks` var) in the inventory; the
    // column inside the command follows in the message.
    const renderFor = (name: string, command: string, at: SourceLocation): string => {
      context ??= hostTemplateContext(inventory, host);
      try {
        return renderTemplate(command, context, { file: `${at.file} (check "${name}")` }).trim();
      } catch (error) {
        if (error instanceof InvalidFileError) {
          for (const problem of error.problems) {
            problems.push({ message: `check "${name}" for ${host.name}: command column ${problem.at?.col ?? 1}: ${problem.message}`, at });
          }
          return '';
        }
        throw error;
      }
    };
    for (const check of inventory.checks.values()) {
      const override = own[check.name];
      if (override === false) continue;
      const picked = applies.get(check.name)?.has(host) ?? false;
      // A command override also turns a check on for a host its selector misses.
      if (!picked && typeof override !== 'string') continue;
      const command = typeof override === 'string'
        ? renderFor(check.name, override, where)
        : renderFor(check.name, check.command, check.definedAt);
      list.push({ name: check.name, description: check.description ?? check.name, command, source: typeof override === 'string' ? 'host' : 'model' });
    }
    for (const [name, value] of Object.entries(own)) {
      if (inventory.checks.has(name) || typeof value !== 'string') continue;
      list.push({ name, description: name, command: renderFor(name, value, where), source: 'host' });
    }
    result.set(host, list);
  }
  if (problems.length > 0) throw new InvalidFileError('monitoring model', problems);
  return result;
}
