/**
 * The built-in generators of `muster gen`: each is a Liquid template shipped in
 * `templates/gen/` plus a little code that prepares what the template lays out
 * (escaping, priorities, the monitoring model). Hosts in `skip_states` are
 * treated per generator, as the consumer needs: see `docs/render.md`.
 */
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { InvalidFileError, NotFoundError, type Problem } from '../core/errors.js';
import type { Host, Inventory, VarValue } from '../inventory/types.js';
import { templateContext, withValues } from './context.js';
import { readTemplateFile, renderTemplate } from './engine.js';
import { hostChecks } from './monitoring.js';

/** One generated file: a relative name (inside `-o DIR`) and its content. */
export interface GeneratedFile {
  name: string;
  content: string;
}

interface Generator {
  summary: string;
  /** Whether the output is one file per host (keepalived) rather than fixed files. */
  perHost?: boolean;
  generate(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[];
}

/** The folder the generator templates ship in (`templates/gen/` at the package root). */
export const generatorTemplateDir = fileURLToPath(new URL('../../templates/gen/', import.meta.url));

function render(template: string, inventory: Inventory, values: Record<string, unknown>): string {
  const file = `${generatorTemplateDir}${template}`;
  return renderTemplate(readTemplateFile(file), withValues(templateContext(inventory), values), { file });
}

const skipped = (inventory: Inventory, host: Host): boolean => inventory.skipStates.includes(host.state);

function str(value: VarValue | undefined): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** A value for a Nagios object directive: one line, `;` escaped (it starts a comment). */
function nagiosValue(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replaceAll(';', '\\;');
}

/** A Nagios check_command argument: also `!` (the argument separator) escaped, `$` doubled. */
function nagiosArgument(text: string): string {
  return nagiosValue(text).replaceAll('$', () => '$$').replaceAll('!', '\\!');
}

function nagios(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const checks = hostChecks(inventory, hosts);
  const groups = new Map<string, string>();
  const used = new Set<string>();
  const nagiosHosts = hosts.map((host) => {
    const hostgroups = [...host.roles, `state-${host.state}`];
    for (const role of host.roles) groups.set(role, inventory.roles.get(role)?.description ?? `role ${role}`);
    groups.set(`state-${host.state}`, `hosts in state ${host.state}`);
    const off = skipped(inventory, host);
    const plugins = str(host.vars['nagios_plugins']) ?? '/usr/lib/nagios/plugins';
    const services = (checks.get(host) ?? []).map((check) => {
      used.add(check.name);
      const line = check.command.startsWith('/') || check.command.startsWith('$') ? check.command : `${plugins}/${check.command}`;
      return {
        description: nagiosValue(check.description),
        command: `muster_${check.name}!${nagiosArgument(line)}`,
      };
    });
    return {
      name: host.name,
      alias: nagiosValue(host.note ? `${host.name} (${host.note})` : host.name),
      address: host.address,
      hostgroups: hostgroups.join(','),
      template: str(host.vars['nagios_host_template']) ?? 'linux-server',
      service_template: str(host.vars['nagios_service_template']) ?? 'generic-service',
      off,
      notes: nagiosValue(`state ${host.state}${host.note ? `: ${host.note}` : ''}`),
      services,
    };
  });
  // Roles in inventory order, then states in declared order.
  const order = [...inventory.roles.keys(), ...inventory.states.map((state) => `state-${state}`)];
  const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
  const hostgroups = [...groups].sort(([a], [b]) => rank(a) - rank(b)).map(([name, alias]) => ({ name, alias: nagiosValue(alias) }));
  const commands = [...inventory.checks.keys(), ...[...used].filter((name) => !inventory.checks.has(name))].filter((name) => used.has(name));
  return [
    { name: 'hosts.cfg', content: render('nagios-hosts.cfg.liquid', inventory, { nagios_hosts: nagiosHosts, nagios_hostgroups: hostgroups }) },
    { name: 'services.cfg', content: render('nagios-services.cfg.liquid', inventory, { nagios_hosts: nagiosHosts }) },
    { name: 'commands.cfg', content: render('nagios-commands.cfg.liquid', inventory, { nagios_commands: commands }) },
  ];
}

/** A Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, never starting with `__` (reserved). */
function labelName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
  return cleaned.startsWith('__') ? cleaned.replace(/^_+/, '') || 'var' : cleaned;
}

const generatorSetting = /^(nagios|prometheus|keepalived|vrrp)_/;

function prometheus(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const groups = hosts.filter((host) => !skipped(inventory, host)).map((host) => {
    const labels: Record<string, string> = {};
    const wanted = host.vars['prometheus_labels'];
    // Default: every scalar var except the generators' own settings (nagios_*, prometheus_*, …).
    const names = Array.isArray(wanted) ? wanted.map(String) : Object.keys(host.vars).filter((name) => !generatorSetting.test(name));
    for (const name of names) {
      const value = host.vars[name];
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') labels[labelName(name)] = String(value);
    }
    // The fixed labels win over vars of the same name.
    labels['host'] = host.name;
    labels['role'] = host.roles[0] ?? '';
    labels['roles'] = `,${host.roles.join(',')},`;
    labels['state'] = host.state;
    const port = str(host.vars['prometheus_port']) ?? '9100';
    const address = isIP(host.address) === 6 ? `[${host.address}]` : host.address;
    return { targets: [`${address}:${port}`], labels };
  });
  return [{ name: 'targets.json', content: render('prometheus.json.liquid', inventory, { prometheus_groups: groups }) }];
}

function byRole(inventory: Inventory, hosts: readonly Host[]): { role: string; hosts: Host[] }[] {
  const map = new Map<string, Host[]>();
  for (const role of inventory.roles.keys()) map.set(role, []);
  for (const host of hosts) for (const role of host.roles) map.get(role)?.push(host);
  return [...map].filter(([, list]) => list.length > 0).map(([role, list]) => ({ role, hosts: list }));
}

function munin(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const live = hosts.filter((host) => !skipped(inventory, host));
  const entries = live.filter((host) => host.roles.length === 0).map((host) => ({ group: 'ungrouped', name: host.name, address: host.address }));
  const grouped = byRole(inventory, live).flatMap(({ role, hosts: members }) => members.map((host) => ({ group: role, name: host.name, address: host.address })));
  return [{ name: 'munin.conf', content: render('munin.conf.liquid', inventory, { munin_entries: [...grouped, ...entries] }) }];
}

function hostsFile(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const entries = hosts.map((host) => {
    const short = host.name.split('.')[0] ?? host.name;
    return { address: host.address, names: short === host.name ? host.name : `${host.name} ${short}`, ip: isIP(host.address) !== 0, name: host.name };
  });
  return [{ name: 'hosts', content: render('hosts.liquid', inventory, { hosts_entries: entries }) }];
}

function sshConfig(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const problems: Problem[] = [];
  for (const host of hosts) {
    // ssh_config has no quoting for Host patterns: a name with spaces or wildcards would match other hosts.
    if (!/^[A-Za-z0-9._:@%+-]+$/.test(host.name) || !/^[A-Za-z0-9._:%-]+$/.test(host.address)) {
      problems.push({ message: `host "${host.name}": name or address not usable in an ssh_config Host block`, at: host.definedAt });
    }
  }
  if (problems.length > 0) throw new InvalidFileError('inventory for ssh-config', problems);
  const entries = hosts.map((host) => ({ name: host.name, address: host.address, user: host.user ?? null, port: host.port ?? null }));
  return [{ name: 'ssh_config', content: render('ssh_config.liquid', inventory, { ssh_entries: entries }) }];
}

function keepalived(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const problems: Problem[] = [];
  const instances = new Map<string, { role: string; routerId: number; vips: string[]; members: Host[] }>();
  for (const role of inventory.roles.values()) {
    const vip = role.vars['vip'];
    if (vip === undefined) continue;
    const vips = (Array.isArray(vip) ? vip : [vip]).map(String);
    const id = role.vars['vrrp_router_id'];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 255) {
      problems.push({ message: `role "${role.name}" has a vip but no vrrp_router_id (an integer 1-255, unique on the network)`, at: role.definedAt });
      continue;
    }
    const members = inventory.hosts.filter((host) => host.roles.includes(role.name) && !skipped(inventory, host));
    instances.set(role.name, { role: role.name, routerId: id, vips, members });
  }
  if (problems.length > 0) throw new InvalidFileError('inventory for keepalived', problems);
  const files: GeneratedFile[] = [];
  for (const host of hosts) {
    if (skipped(inventory, host)) continue;
    const mine = [...instances.values()].filter((instance) => instance.members.includes(host));
    if (mine.length === 0) continue;
    const vrrp = mine.map((instance) => {
      const priorities = instance.members.map((member, index) => {
        const own = member.vars['keepalived_priority'];
        return typeof own === 'number' ? own : Math.max(1, 150 - index);
      });
      const mineAt = instance.members.indexOf(host);
      const priority = priorities[mineAt] as number;
      const unicast = host.vars['vrrp_unicast'] === true;
      return {
        name: instance.role.replace(/[^A-Za-z0-9_-]/g, '_'),
        state: priority === Math.max(...priorities) ? 'MASTER' : 'BACKUP',
        interface: str(host.vars['vrrp_interface']) ?? 'eth0',
        router_id: instance.routerId,
        priority,
        vips: instance.vips,
        unicast,
        source: host.address,
        peers: instance.members.filter((member) => member !== host).map((member) => member.address),
      };
    });
    files.push({ name: `${host.name}.conf`, content: render('keepalived.conf.liquid', inventory, { keepalived_host: host.name, vrrp_instances: vrrp }) });
  }
  return files;
}

function nginxUpstream(inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const upstreams = byRole(inventory, hosts)
    .map(({ role, hosts: members }) => ({
      name: role.replace(/[^A-Za-z0-9_-]/g, '_'),
      role,
      servers: members
        .filter((host) => str(host.vars['http_port']) !== undefined)
        .map((host) => ({
          address: `${isIP(host.address) === 6 ? `[${host.address}]` : host.address}:${str(host.vars['http_port']) ?? ''}`,
          // nginx keeps a `down` server in the hash ring, so consistent hashing does not reshuffle.
          down: skipped(inventory, host),
          host: host.name,
        })),
    }))
    .filter((upstream) => upstream.servers.length > 0);
  return [{ name: 'upstreams.conf', content: render('nginx-upstream.conf.liquid', inventory, { upstreams }) }];
}

const generators: Record<string, Generator> = {
  nagios: { summary: 'Nagios hosts, hostgroups (per role, per state), services from the monitoring model, commands', generate: nagios },
  prometheus: { summary: 'Prometheus file_sd targets (JSON) with host/role/roles/state and var labels', generate: prometheus },
  munin: { summary: 'munin.conf host entries grouped by role', generate: munin },
  hosts: { summary: '/etc/hosts lines for every host with an IP address', generate: hostsFile },
  'ssh-config': { summary: 'an ssh_config Host block per host (HostName, User, Port)', generate: sshConfig },
  keepalived: { summary: 'keepalived.conf per host: a VRRP instance per role with a vip var', perHost: true, generate: keepalived },
  'nginx-upstream': { summary: 'an nginx upstream block per role whose hosts have http_port', generate: nginxUpstream },
};

/** The generators, name and one-line summary, in documentation order. */
export function listGenerators(): { name: string; summary: string; perHost: boolean }[] {
  return Object.entries(generators).map(([name, generator]) => ({ name, summary: generator.summary, perHost: generator.perHost === true }));
}

/**
 * Runs one built-in generator over `hosts` (usually every host, all states: each
 * generator decides what a host in a skip state gets). Throws NotFoundError for
 * an unknown name, InvalidFileError when the inventory lacks what it needs.
 */
export function generate(name: string, inventory: Inventory, hosts: readonly Host[]): GeneratedFile[] {
  const generator = Object.hasOwn(generators, name) ? generators[name] : undefined;
  if (!generator) throw new NotFoundError('generator', name, `known: ${Object.keys(generators).join(', ')}`);
  return generator.generate(inventory, hosts);
}
