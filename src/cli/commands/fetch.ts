/**
 * `muster fetch SEL REMOTE LOCALDIR`: gathers a file from every selected host
 * into LOCALDIR/HOST/NAME. Nothing is ever written outside LOCALDIR, whatever the
 * remote path or the host names (see ops/fetch.ts).
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { fetchJob, fetchPlan } from '../../ops/fetch.js';
import { selectFleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { runFanout } from '../fanout/runFanout.js';
import { newCommand } from '../globals.js';

interface FetchOptions extends FanoutOptions {
  fullPath?: boolean;
}

/** The `fetch` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('fetch', 'gather a file from every selected host into LOCALDIR/HOST/'))
    .argument('<selector>', 'which hosts')
    .argument('<remote>', 'remote file path')
    .argument('<localdir>', 'local folder; each host gets LOCALDIR/HOST/')
    .option('--full-path', 'keep the remote path under LOCALDIR/HOST/ (e.g. web01/etc/nginx/nginx.conf) instead of its basename')
    .addHelpText('after', ['', 'Example:', '  muster fetch web /etc/nginx/nginx.conf ./collected'].join('\n'))
    .action(async (selector: string, remote: string, localDir: string, options: FetchOptions) => {
      const info = await stat(localDir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (info && !info.isDirectory()) throw new UsageError(`Invalid LOCALDIR "${localDir}": it exists and is not a folder`);
      const fleet = await selectFleet([selector], options);
      const how = options.fullPath ? { fullPath: true } : {};
      const plan = fetchPlan(localDir, fleet.hosts.map((host) => host.name), remote, how);
      await runFanout(fleet, fetchJob(remote, localDir, plan, options.sudo ? { sudo: true } : {}), options, { command: 'fetch', selector, journal: false });
    });
}
