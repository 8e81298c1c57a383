/**
 * `muster push SEL SRC DEST` (SYNCALL + safe deploy): per host over one
 * connection, DEST locked — compare checksums, write beside DEST, rename into
 * place (one exec), run `--test`, roll back when it fails, run `--then` only when
 * it passes. Also the
 * runner `muster apply` shares: a task's steps on its hosts, with the deploy summary.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runOn, type RunResult } from '../../run/engine.js';
import { checkPushDest } from '../../ops/push-dest.js';
import { prepareTask, pushTask, taskJob } from '../../ops/task-job.js';
import { saveTask, type Task } from '../../ops/task.js';
import { deploySummary, withDeployMessages } from '../../report/deploy.js';
import { formatGathered } from '../../report/display.js';
import { gather } from '../../report/gather.js';
import { selectFleet, type Fleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { newCommand } from '../globals.js';

interface PushOptions extends FanoutOptions {
  mode?: string;
  owner?: string;
  template?: boolean;
  recursive?: boolean;
  test: string[];
  then: string[];
  backup?: boolean;
  check?: boolean;
  save?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The `push` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('push', 'copy a file (or -r a directory) to every selected host, safely (SYNCALL)'))
    .argument('<selector>', 'which hosts (a role, group, host, nodeset, KEY=VALUE, all; combine with , & !)')
    .argument('<src>', 'local file (or directory with -r)')
    .argument('<dest>', 'remote path (absolute); ending in / (or a directory on the host, for a file): into that folder, as cp and scp')
    .option('--mode <octal>', 'file mode, e.g. 0644 (default: the replaced file\'s, else 0666 minus umask)')
    .option('--owner <user[:group]>', 'file owner (default: the replaced file\'s, else the login user)')
    .option('--template', 'render SRC per host with its resolved vars (Liquid, strict: an undefined variable stops the push before any host is touched)')
    .option('-r, --recursive', 'push a directory: unpacked beside DEST, swapped in whole at DEST (DEST/: at DEST/NAME)')
    .option('--test <command>', 'run after the new file is in place; if it fails, the previous file is put back (repeatable)', collect, [])
    .option('--then <command>', 'run only where something changed and every test passed, e.g. a reload (repeatable)', collect, [])
    .option('--backup', 'keep the replaced file as DEST.muster-YYYYmmddTHHMMSS')
    .option('--check', 'change nothing: show what would change, as unified diffs gathered across hosts')
    .option('--save <task.yaml>', 'also write this push as a task file (replay with muster apply; add --check to only save and preview)')
    .addHelpText('after', [
      '',
      'Examples:',
      "  muster push web nginx.conf /etc/nginx/nginx.conf --test 'nginx -t' --then 'nginx -s reload'",
      '  muster push web nginx.conf /etc/nginx/nginx.conf --check',
      "  muster push 'web&dc=tk1' motd.liquid /etc/motd --template --batch 1,10% --max-fail 0",
      '',
      'Per host: ok = already identical (nothing written, --then not run); changed; failed (with',
      'rollback done/failed when a --test failed). A push locks DEST on the host until it is',
      'committed or put back; Ctrl-C or --timeout leaves the old file (said) or the new one',
      '(changed). A --then that failed is run again by the next push. Exit codes: 0 ok, 1 some',
      'host failed, 2 usage/inventory/template error, 3 aborted by --max-fail, 130 interrupted.',
    ].join('\n'))
    .action(async (selector: string, src: string, dest: string, options: PushOptions) => {
      // Before the inventory is read: a DEST no push may take is a usage error at once.
      checkPushDest(dest);
      const task = pushTask({
        target: [selector],
        src: resolve(src),
        dest,
        ...(options.mode !== undefined ? { mode: checkMode(options.mode) } : {}),
        ...(options.owner !== undefined ? { owner: checkOwner(options.owner) } : {}),
        ...(options.template ? { template: true } : {}),
        ...(options.recursive ? { recursive: true } : {}),
        ...(options.backup ? { backup: true } : {}),
        tests: options.test,
        then: options.then,
        ...(options.batch !== undefined ? { batch: options.batch } : {}),
        ...(options.maxFail !== undefined ? { maxFail: options.maxFail } : {}),
        ...(options.sudo ? { sudo: true } : {}),
      });
      const fleet = await selectFleet([selector], options);
      // Read (and render) everything before saving or touching any host.
      await runTask(task, fleet, options, { command: 'push', selector, check: options.check === true, save: options.save });
    });
}

/** The same rule a task file's `owner:` follows, so `--save` never writes a task `apply` refuses. */
function checkOwner(owner: string): string {
  if (!/^[^:\s]+(:[^:\s]+)?$/.test(owner)) throw new UsageError(`Invalid --owner "${owner}": give user or user:group`);
  return owner;
}

function checkMode(mode: string): string {
  if (!/^[0-7]{3,4}$/.test(mode)) throw new UsageError(`Invalid --mode "${mode}": give an octal mode such as 0644`);
  return mode;
}

/**
 * Runs a task on a fleet with the fan-out machinery: every source read and every
 * template rendered first (errors stop everything), then the task job on each
 * host, the gathered display and the deploy summary (changed, rolled back, failed,
 * not started — folded). Shared by push and apply.
 */
export async function runTask(
  task: Task,
  fleet: Fleet,
  options: FanoutOptions,
  how: { command: string; selector: string; check: boolean; save?: string | undefined },
): Promise<RunResult> {
  const prepared = await prepareTask(task, { inventory: fleet.inventory, hosts: fleet.hosts });
  if (how.save !== undefined) {
    await saveTask(task, how.save);
    if (!options.quiet) process.stderr.write(`muster: saved the task to ${how.save} (replay: muster apply ${how.save})\n`);
  }
  const startedAt = new Date();
  const sudo = options.sudo || task.sudo ? { sudo: true } : {};
  const withTask: FanoutOptions = {
    ...options,
    ...(options.batch === undefined && task.batch !== undefined ? { batch: task.batch } : {}),
    ...(options.maxFail === undefined && task.maxFail !== undefined ? { maxFail: task.maxFail } : {}),
  };
  const job = taskJob(prepared, { check: how.check, startedAt, ...sudo });
  // The rollback said in the message once, before it is shown, written as JSON or journaled.
  return fanoutWith(fleet.targets, withTask, {
    command: how.command,
    selector: how.selector,
    render: (result, color) => formatGathered(gather(result.outcomes), { color, ...(options.quiet ? { hide: new Set(['ok'] as const) } : {}) }) + deploySummary(result, how.check),
  }, async (run) => withDeployMessages(await runOn(fleet.targets, job, run)));
}
