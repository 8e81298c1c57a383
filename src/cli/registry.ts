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
  { name: 'export', summary: 'the inventory as sh variables (safe to source), env, json, yaml or Ansible inventory', load: () => import('./commands/export.js') },
  { name: 'set', summary: 'edit state, note and vars in the inventory YAML, comments kept', load: () => import('./commands/set.js') },
  { name: 'run', summary: 'run a command on every selected host (FORALL)', load: () => import('./commands/run.js') },
  { name: 'push', summary: 'copy a file to every selected host, test, roll back on failure (SYNCALL)', load: () => import('./commands/push.js') },
  { name: 'drift', summary: 'managed files of every host compared with the repository, gathered per file (exit 1 on drift)', load: () => import('./commands/drift.js') },
  { name: 'converge', summary: 'apply the managed files: push rules, per-file tests, one then per host, rollback per host (--check: noop)', load: () => import('./commands/converge.js') },
  { name: 'diff', summary: 'is this file the same everywhere? groups and diffs (DIFFALL)', load: () => import('./commands/diff.js') },
  { name: 'adopt', summary: 'put the live files of the selected hosts into the repository, declared under files: (variants as host overrides)', load: () => import('./commands/adopt.js') },
  { name: 'fetch', summary: 'gather a file from every selected host into LOCALDIR/HOST/', load: () => import('./commands/fetch.js') },
  { name: 'facts', summary: 'what the hosts are (os, kernel, cpus, memory, disks, addresses), gathered; over ssh, from the agents or their bucket', load: () => import('./commands/facts.js') },
  { name: 'reconcile', summary: 'hosts whose facts contradict the inventory: address, hostname, stopped but answering, not seen', load: () => import('./commands/reconcile.js') },
  { name: 'call', summary: 'call an agent module on every selected host (over nats), results gathered', load: () => import('./commands/call.js') },
  { name: 'apply', summary: 'replay a saved task file (--check for a dry run)', load: () => import('./commands/apply.js') },
  { name: 'history', summary: 'past runs, pushes, applies and diffs, and their output', load: () => import('./commands/history.js') },
  { name: 'render', summary: 'render Liquid templates with the inventory, to files or per host (--check for CI)', load: () => import('./commands/render.js') },
  { name: 'gen', summary: 'generate nagios, prometheus, munin, hosts, ssh-config, keepalived, nginx-upstream config', load: () => import('./commands/gen.js') },
  { name: 'runbook', summary: 'procedure documents: render a runbook template, list its steps, run them', load: () => import('./commands/runbook.js') },
  { name: 'provision', summary: 'network-boot provisioning from the inventory: check, sync -o DIR (dnsmasq, PXE/GRUB/iPXE, installer files), enable|disable HOST', load: () => import('./commands/provision.js') },
  { name: 'serve', summary: 'metadata HTTP server', load: () => import('./commands/serve.js') },
  { name: 'ca', summary: 'the fleet CA: init, list, request, sign (hosts, --operator, --join), revoke, show', load: () => import('./commands/ca.js') },
  { name: 'agent', summary: 'the daemon on every host: run (default), enroll, join, package (.deb), install SEL (over SSH)', load: () => import('./commands/agent.js') },
  { name: 'publish', summary: 'the inventory into the broker\'s KV bucket (only what changed), or --via ssh to SEL; every host keeps it in /etc/muster', load: () => import('./commands/publish.js') },
  { name: 'broker', summary: 'nats-server configured from the inventory: up [--cluster N] [--systemd], down, status, config', load: () => import('./commands/broker.js') },
  { name: 'pending', summary: 'hosts that asked to join (muster agent join), with their facts', load: () => import('./commands/pending.js') },
  { name: 'admit', summary: 'let a host that asked to join into the inventory: write it, sign it, answer it', load: () => import('./commands/admit.js') },
  { name: 'import', summary: 'a muster.yaml from an Ansible inventory, ClusterShell groups or /etc/hosts, folded into patterns', load: () => import('./commands/import.js') },
  { name: 'completion', summary: 'a bash, zsh or fish completion script: commands, options, role/group/host names', load: () => import('./commands/completion.js').then((module) => module.withRegistry(registry)) },
  { name: 'lab', summary: 'a throwaway local fleet of real sshd hosts', load: () => import('./commands/lab.js') },
];
