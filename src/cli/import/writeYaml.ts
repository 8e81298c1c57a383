/**
 * An imported fleet as muster.yaml text: version, defaults, roles, groups,
 * then the folded hosts. Written with the `yaml` library, so any var value
 * (lists, maps, strings that look like numbers) comes back as it was.
 */
import { Document, visit } from 'yaml';
import { foldHosts } from './foldHosts.js';
import type { ImportedFleet } from './model.js';

/** The muster.yaml for `fleet`, with a comment saying where it came from. */
export function fleetYaml(fleet: ImportedFleet): string {
  const document: Record<string, unknown> = { version: 1 };
  const defaults: Record<string, unknown> = {};
  if (fleet.defaults.user !== undefined) defaults['user'] = fleet.defaults.user;
  if (fleet.defaults.port !== undefined) defaults['port'] = fleet.defaults.port;
  if (Object.keys(fleet.defaults.vars).length > 0) defaults['vars'] = fleet.defaults.vars;
  if (Object.keys(defaults).length > 0) document['defaults'] = defaults;
  if (fleet.roles.size > 0) {
    document['roles'] = Object.fromEntries([...fleet.roles].map(([name, role]) => [name, {
      ...(role.description === undefined ? {} : { description: role.description }),
      ...(Object.keys(role.vars).length > 0 ? { vars: role.vars } : {}),
    }]));
  }
  if (fleet.groups.size > 0) document['groups'] = Object.fromEntries(fleet.groups);
  const hosts: Record<string, unknown> = {};
  for (const entry of foldHosts(fleet.hosts)) {
    const { host } = entry;
    const value: Record<string, unknown> = {};
    if (host.roles.length > 0) value['roles'] = host.roles;
    if (entry.address !== undefined) value['address'] = entry.address;
    if (host.user !== undefined) value['user'] = host.user;
    if (host.port !== undefined) value['port'] = host.port;
    if (host.note !== undefined) value['note'] = host.note;
    if (Object.keys(host.vars).length > 0) value['vars'] = host.vars;
    hosts[entry.key] = value;
  }
  document['hosts'] = hosts;
  // Short maps and lists in flow style keep a host entry on a line or two, as muster.yaml is usually written.
  const doc = new Document(document, { aliasDuplicateObjects: false });
  visit(doc, {
    Map(_key, node, path) {
      if (path.length >= 4 && JSON.stringify(node.toJSON()).length <= 100) node.flow = true;
    },
    Seq(_key, node) {
      if (JSON.stringify(node.toJSON()).length <= 100) node.flow = true;
    },
  });
  const body = doc.toString({ lineWidth: 0, flowCollectionPadding: true });
  return `# Imported by \`muster import\` from ${fleet.source.replace(/\n/g, ' ')}\n${body}`;
}
