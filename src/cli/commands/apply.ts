/**
 * `muster apply TASK.yaml [--check] [--limit SEL]`: replays a saved task (from
 * `muster push … --save`, or written by hand) on its target, or on the part of
 * it `--limit` names. Fan-out options given here win over the task's own.
 */
import type { Command } from 'commander';
import { select } from '../../inventory/index.js';
import { loadTask } from '../../ops/task.js';
import { selectFleet, targetOf } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { newCommand } from '../globals.js';
import { runTask } from './push.js';

interface ApplyOptions extends FanoutOptions {
  check?: boolean;
  limit?: string;
}

/** The `apply` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('apply', 'replay a saved task file (push / run / test / then steps)'))
    .argument('<task>', 'task file (YAML), e.g. from muster push … --save deploy.yaml')
    .option('--check', 'change nothing: show what would change')
    .option('--limit <selector>', 'only the task\'s hosts that this selector also picks')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster apply deploy.yaml --check',
      "  muster apply deploy.yaml --limit 'web[01-02]'",
    ].join('\n'))
    .action(async (file: string, options: ApplyOptions) => {
      const task = await loadTask(file);
      const fleet = await selectFleet(task.target, options);
      if (options.limit !== undefined) {
        const limited = new Set(select(fleet.inventory, [options.limit], { allStates: true }).hosts.map((host) => host.name));
        fleet.hosts = fleet.hosts.filter((host) => limited.has(host.name));
        fleet.targets = fleet.hosts.map((host) => targetOf(host, fleet.inventory));
      }
      const selector = task.target.join(',') + (options.limit !== undefined ? ` (limit ${options.limit})` : '');
      await runTask(task, fleet, { ...options, ...(task.sudo ? { sudo: true } : {}) }, { command: 'apply', selector, check: options.check === true });
    });
}
