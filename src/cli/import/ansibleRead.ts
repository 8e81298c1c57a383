/**
 * An Ansible inventory as Ansible itself reads it: `ansible-inventory -i X
 * --list` (INI, YAML, a folder, or a dynamic-inventory script, which
 * ansible-inventory runs), twice: with `--export` for the groups' own vars and
 * the hosts' own vars, and without it for each host's resolved vars (Ansible's
 * precedence, applied by Ansible). Reading the formats ourselves would drift
 * from what `ansible -i X` does.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MusterError } from '../../core/errors.js';
import type { VarValue } from '../../inventory/index.js';

/** One Ansible group: its direct hosts, its children, its own vars. */
export interface AnsibleGroupRead {
  hosts: string[];
  children: string[];
  vars: Record<string, VarValue>;
}

/** What ansible-inventory said about an inventory. */
export interface AnsibleRead {
  groups: Map<string, AnsibleGroupRead>;
  /** Each host's resolved vars (group vars and its own, merged by Ansible). */
  resolved: Map<string, Record<string, VarValue>>;
  /** ansible-inventory's own warnings, to pass on. */
  warnings: string[];
}

interface ListJson {
  _meta?: { hostvars?: Record<string, Record<string, VarValue>> };
  [group: string]: unknown;
}

/** Runs ansible-inventory on `source`; a failure is one MusterError line quoting Ansible's reason. */
export async function readAnsible(source: string): Promise<AnsibleRead> {
  // ansible -i also takes a comma list of hosts ("a,b,"); anything else is a path, and a missing one is said plainly.
  if (!source.includes(',') && !existsSync(source)) throw new MusterError(`Cannot read ${source}: no such file or folder`);
  const [exported, listed] = await Promise.all([list(source, ['--export']), list(source, [])]);
  const groups = new Map<string, AnsibleGroupRead>();
  for (const [name, value] of Object.entries(exported.json)) {
    if (name === '_meta' || value === null || typeof value !== 'object') continue;
    const group = value as { hosts?: string[]; children?: string[]; vars?: Record<string, VarValue> };
    groups.set(name, { hosts: group.hosts ?? [], children: group.children ?? [], vars: group.vars ?? {} });
  }
  const resolved = new Map(Object.entries(listed.json._meta?.hostvars ?? {}));
  // Hosts listed in a group but with no vars at all are absent from _meta: they resolve to nothing.
  for (const group of groups.values()) for (const host of group.hosts) if (!resolved.has(host)) resolved.set(host, {});
  return { groups, resolved, warnings: [...new Set([...exported.warnings, ...listed.warnings])] };
}

function list(source: string, extra: string[]): Promise<{ json: ListJson; warnings: string[] }> {
  return new Promise((resolve, reject) => {
    // A file no inventory plugin can parse is an error, not an empty inventory with a warning.
    const env = { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true', ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' };
    execFile('ansible-inventory', ['-i', source, '--list', ...extra], { env, maxBuffer: 512 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '');
      if (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new MusterError('ansible-inventory is not installed (Debian: apt install ansible-core); muster import ansible reads the inventory through it, as ansible does'));
          return;
        }
        // Ansible wraps its messages; the plugins' own reasons ("with ini plugin: …") say more than the final ERROR.
        const messages = stderr.split(/\n(?=\[WARNING\]|ERROR!|\[ERROR\])/).map((text) => text.replace(/-\n/g, '-').replace(/\s+/g, ' ').trim());
        const plugins = messages.map((text) => /Failed to parse .* with (\w+) plugin: (.*)$/.exec(text)).filter((match) => match !== null).map((match) => `${match[1] ?? ''}: ${match[2] ?? ''}`);
        const final = messages.find((text) => /^(ERROR!|\[ERROR\])/.test(text)) ?? lines[0] ?? error.message;
        const reason = plugins.length > 0 ? `no inventory plugin could parse it (${plugins.join('; ')})` : final;
        reject(new MusterError(`ansible-inventory -i ${source} failed: ${reason.replace(/^(ERROR!|\[ERROR\]:?)\s*/, '')}`));
        return;
      }
      try {
        resolve({ json: JSON.parse(stdout) as ListJson, warnings: lines.filter((line) => /WARNING/.test(line)) });
      } catch {
        reject(new MusterError(`ansible-inventory -i ${source} printed no JSON`));
      }
    });
  });
}
