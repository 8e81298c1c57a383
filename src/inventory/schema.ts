/**
 * The shape of one inventory file, as a zod schema. It is the single source of
 * the format: the loader validates with it, and `npm run schema` turns it into
 * the JSON Schema shipped for editors (`schema/muster.schema.json`). Checks that
 * need more than one file (unknown roles, duplicates, selectors) live in parse.ts.
 */
import { z } from 'zod';

/** Role, group, check and state names: words that cannot be mistaken for selector syntax. */
export const namePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const name = (what: string) => z.string().regex(namePattern, { error: `${what} names may use only letters, digits, "_", "." and "-" (and not start with "." or "-")` });

const vars = z.record(z.string(), z.json()).describe('Variables: any YAML value. Precedence, lowest first: defaults.vars < each role\'s vars in the order listed < host vars.');

const port = z.int().min(1).max(65535);

// A login user and an address end up in ssh_config's %r and %h, which OpenSSH and the
// in-process transport substitute unquoted into a ProxyCommand run by a shell: no shell
// characters, no leading "-" (OpenSSH 9.6 refuses the same for names typed on its command line).
const user = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/, { error: 'a login user may use only letters, digits, "_", ".", "@", "+" and "-" (and not start with "-")' });
const address = z.string().regex(/^[A-Za-z0-9_:[][A-Za-z0-9_.:%,/[\]-]*$/, {
  error: 'an address is a host name, IPv4 or IPv6 address, or a nodeset pattern of them: letters, digits, ".", ":", "%", "_", "-" and [ , / ] (no spaces or shell characters)',
});

// Managed files (docs/files.md). `mode` is a string: YAML 1.2 reads an unquoted 0644 as the number 644.
const managedFile = z.strictObject({
  src: z.string().min(1).optional().describe('The file or folder in the repository, relative to the inventory\'s root.'),
  mode: z.string({ error: 'a mode is a quoted octal string, e.g. "0644" (unquoted, 0644 is the number 644)' }).regex(/^0?[0-7]{3}$/, { error: 'a mode is octal, e.g. "0644"' }).optional(),
  owner: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, { error: 'an owner is USER or USER:GROUP' }).optional(),
  template: z.boolean().optional().describe('Render src with the host\'s vars, as `muster render` does.'),
  test: z.string().min(1).optional().describe('Run with the new file in place ({} is its path); a failure rolls back every file of the host.'),
  then: z.string().min(1).optional().describe('Run once the host\'s files are in place and tested (a reload).'),
  absent: z.literal(true).optional().describe('The file must not exist.'),
}).refine((spec) => (spec.src === undefined) === (spec.absent === true), { error: 'a managed file has a "src", or "absent: true" (not both)' });

const managedFiles = z.record(z.string().regex(/^\/[^\0\n]*$/, { error: 'a managed file is an absolute path' }), managedFile)
  .describe('Files owned here: absolute path -> where it comes from and how it is installed.');

// Provisioning (docs/provision.md).
const mac = z.string().regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/, { error: 'a MAC address is six hex pairs, e.g. 52:54:00:12:34:56' });
const provisionDefaults = {
  profile: name('Profile').optional().describe('A name under `profiles`.'),
  netboot: z.boolean().optional().describe('Boot the installer from the network (false once installed, so it never reinstalls by accident).'),
  kopts: z.string().optional().describe('Extra kernel options for the installer.'),
};
const networkInterface = z.strictObject({
  mac,
  ip: z.ipv4().optional(),
  netmask: z.ipv4().optional(),
  gateway: z.ipv4().optional(),
  dns: z.array(z.ipv4()).optional(),
  dhcp: z.boolean().optional().describe('A dynamic address instead of `ip`.'),
  boot: z.boolean().optional().describe('This interface network-boots (the first one when none says so).'),
});
const roleProvision = z.strictObject(provisionDefaults).describe('Provisioning defaults for the role\'s hosts.');
const hostProvision = z.strictObject({
  ...provisionDefaults,
  interfaces: z.record(z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: 'an interface name may use only letters, digits, "_", ".", ":" and "-"' }), networkInterface).optional(),
}).describe('How the host is installed by network boot.');
const profile = z.strictObject({
  distro: z.string().optional(),
  kernel: z.string().min(1).describe('Relative to the TFTP root.'),
  initrd: z.string().min(1).describe('Relative to the TFTP root.'),
  options: z.string().optional().describe('Kernel options for every host of the profile.'),
  installer: z.strictObject({
    kind: z.enum(['preseed', 'kickstart', 'cloud-init']),
    template: z.string().min(1).describe('The answer file template, relative to the inventory\'s root.'),
  }).optional(),
}).describe('An install profile.');

const defaults = z.strictObject({
  user: user.optional().describe('Login user for every host (else ssh_config, else the current user).'),
  port: port.optional().describe('SSH port for every host (else ssh_config, else 22).'),
  vars: vars.optional(),
}).describe('Values every host starts from.');

const role = z.strictObject({
  description: z.string().optional(),
  vars: vars.optional(),
  files: managedFiles.optional(),
  provision: roleProvision.optional(),
}).nullable().describe('A role; hosts list the roles they play.');

const host = z.strictObject({
  roles: z.array(name('Role')).optional().describe('Roles this host plays, lowest precedence first.'),
  address: address.optional().describe('What to connect to (IP or DNS name); a nodeset pattern is expanded in step with the host pattern.'),
  user: user.optional(),
  port: port.optional(),
  state: name('State').optional().describe('One of `states`; the first state when absent.'),
  note: z.string().optional().describe('Free text, e.g. why the host is in its state.'),
  vars: vars.optional(),
  files: managedFiles.optional().describe('Files this host owns, overriding its roles\' for the same path.'),
  provision: hostProvision.optional(),
}).nullable().describe('A host, or a nodeset pattern (web[001-100].lan) making one host per name.');

const check = z.strictObject({
  command: z.string().min(1).describe('The check command, a template rendered per host.'),
  on: z.string().min(1).optional().describe('A selector of the hosts it applies to (default: all).'),
  description: z.string().optional(),
}).describe('A check of the monitoring model. A host drops or replaces it with the host var `checks: { NAME: false | "command" }`.');

const moduleGrant = z.string().regex(/^(\*|[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)?)$/, { error: 'a permission is a module ("file"), a module action ("file.stat") or "*"' });

const agents = z.strictObject({
  servers: z.array(z.string().regex(/^(tls|nats):\/\/[^\s/]+$/, { error: 'a server is tls://HOST:PORT' })).min(1).optional().describe('The NATS brokers agents and operators connect to (several: a cluster).'),
  state: z.string().min(1).optional().describe('Where the fleet CA and broker files live, relative to this file (else $MUSTER_STATE, else ~/.local/state/muster). Holds keys: keep it out of git.'),
  operators: z.record(name('Operator'), z.array(name('Permission role'))).optional().describe('Operator certificate names and the permission roles each holds.'),
  permissions: z.record(name('Permission role'), z.array(moduleGrant)).optional().describe('What each permission role may call: a module, module.action, or "*". ping is always allowed.'),
  autosign: z.string().min(1).optional().describe('A selector: CSRs of these hosts fetched over SSH from their inventory address are signed at once.'),
}).describe('Agents over NATS (docs/agents.md).');

/** One inventory file. Several files (an `inventory/` folder) are merged; each key may come from any of them. */
export const inventoryFileSchema = z.strictObject({
  version: z.literal(1).optional().describe('Format version; 1.'),
  defaults: defaults.optional(),
  states: z.array(name('State')).min(1).optional().describe('Host states in order; the first is the default. Default: [ok, warn, stop].'),
  skip_states: z.array(name('State')).optional().describe('States left out of role/group/all selections unless a host is named by its own name. Default: [stop] when `states` is not given, else none.'),
  roles: z.record(name('Role'), role).optional(),
  groups: z.record(name('Group'), z.string().min(1).describe('A selector, e.g. "web&dc=tk1".')).optional().describe('Named selectors.'),
  hosts: z.record(z.string().min(1), host).optional(),
  ssh_config: z.string().min(1).optional().describe('An ssh_config file (relative to this file) honoured when connecting to these hosts.'),
  checks: z.record(name('Check'), check).optional().describe('The monitoring model.'),
  agents: agents.optional(),
  profiles: z.record(name('Profile'), profile).optional().describe('Install profiles for network boot.'),
});

/** What one file holds once validated. */
export type InventoryFile = z.infer<typeof inventoryFileSchema>;
export type AgentsFileSection = NonNullable<z.infer<typeof agents>>;
export type HostEntry = NonNullable<z.infer<typeof host>>;
