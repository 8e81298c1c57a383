/**
 * Every command, with a one-line summary and a loader. Only the module of the
 * command being run is imported, so `muster ls` never pays for ssh2 or the
 * template engine. Each module exports `command(): Command`.
 */
import type { Command } from 'commander';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ command: () => Command }>;
}

export const registry: CommandEntry[] = [
  { name: 'check', summary: 'validate the inventory', load: () => import('./commands/check.js') },
  { name: 'ls', summary: 'list hosts', load: () => import('./commands/ls.js') },
  { name: 'show', summary: 'one host, resolved, with provenance', load: () => import('./commands/show.js') },
  { name: 'nodeset', summary: 'nodeset arithmetic: fold, expand, count', load: () => import('./commands/nodeset.js') },
  { name: 'run', summary: 'run a command on every selected host (FORALL)', load: () => import('./commands/run.js') },
  { name: 'render', summary: 'render Liquid templates with the inventory, to files or per host (--check for CI)', load: () => import('./commands/render.js') },
  { name: 'gen', summary: 'generate nagios, prometheus, munin, hosts, ssh-config, keepalived, nginx-upstream config', load: () => import('./commands/gen.js') },
  { name: 'serve', summary: 'metadata HTTP server', load: () => import('./commands/serve.js') },
  { name: 'lab', summary: 'a throwaway local fleet of real sshd hosts', load: () => import('./commands/lab.js') },
];
