/**
 * `muster publish --via ssh [SEL…]`: the local copy (docs/local-copy.md) written on every
 * selected host over the SSH fan-out, for fleets without agents — MATRIX's SYNCALL of
 * dsas.conf. The same three files an agent writes from the bucket (bindings/localCopy.ts),
 * with the push rules (ops/publishSsh.ts): an unchanged copy is not rewritten, only
 * confirmed; each file is replaced by an atomic rename; /etc/muster is created 0755.
 * Output and exit codes as `muster push`.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { localCopyDir, localCopyMaker, localCopyNames } from '../../bindings/localCopy.js';
import { stateDirFor } from '../../ca/paths.js';
import { UsageError } from '../../core/errors.js';
import type { PublishedVersion } from '../../core/fleetKv.js';
import { digestOf, snapshotOf, type Snapshot } from '../../inventory/snapshot.js';
import { publishFilesJob, type FolderFile } from '../../ops/publishSsh.js';
import { sshPublishVersion } from '../../ops/publishSshVersion.js';
import { deploySummary, withDeployMessages } from '../../report/deploy.js';
import { formatGathered } from '../../report/display.js';
import { gather } from '../../report/gather.js';
import { runOn } from '../../run/engine.js';
import { selectFleet } from '../fanout/fleet.js';
import type { FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { userAtHost } from '../../core/whoami.js';

/**
 * Publishes over SSH with the options of `cmd` (the fan-out options, `-i`, `--json`, `-q`).
 * The revision is a local counter (ops/publishSshVersion.ts): one up when the inventory's
 * digest changed, the same version again when it did not.
 */
export async function publishViaSsh(cmd: Command, selectors: string[]): Promise<void> {
  const given = cmd.opts<FanoutOptions>();
  if (given.transport === 'nats') throw new UsageError('--via ssh writes the copy over SSH: --transport nats is the agents\' way (they keep their copy from the bucket)');
  // Over SSH even for hosts whose muster_transport is nats: this is the way without agents.
  const options: FanoutOptions = { ...given, transport: given.transport ?? 'ssh' };
  // No selector: every host (the fan-out front takes an empty list for "only -w/--hostfile").
  const fleet = await selectFleet(selectors.length > 0 ? selectors : ['all'], options);
  const snapshot = snapshotOf(fleet.inventory);
  const version = await sshPublishVersion(join(stateDirFor(fleet.inventory), 'publish-ssh.json'), digestOf(snapshot), fleet.inventory.hosts.length, userAtHost());
  const filesFor = copyFilesFor(snapshot, version);
  if (!options.quiet) {
    const count = fleet.hosts.length;
    process.stderr.write(`muster: publishing revision ${version.revision} (${version.hosts} hosts, digest ${version.digest.slice(0, 12)}) to ${count} host${count === 1 ? '' : 's'} over ssh\n`);
  }
  const job = publishFilesJob({ dir: localCopyDir, filesFor, mode: '0644', confirm: 'inventory.json', ...(options.sudo ? { sudo: true } : {}) });
  // What a stopped host holds said with the stop, once, before it is shown or journaled (as push does).
  await fanoutWith(fleet.targets, options, {
    command: 'publish',
    selector: selectors.join(' ') || 'all',
    // As push shows it: the gathered blocks, then the hosts changed and failed, folded.
    render: (result, color) => formatGathered(gather(result.outcomes), { color, ...(options.quiet ? { hide: new Set(['ok'] as const) } : {}) }) + deploySummary(result, false),
  }, async (run) => withDeployMessages(await runOn(fleet.targets, job, run)));
}

/** The copy's files for each host, in the order they are replaced (inventory.json, which readers check, last). */
export function copyFilesFor(snapshot: Snapshot, version: PublishedVersion): (host: string) => FolderFile[] {
  const make = localCopyMaker(snapshot, version);
  // muster.sh and inventory.json are the same for every host: one Buffer each.
  const sample = make('');
  const shared = { 'muster.sh': Buffer.from(sample['muster.sh']), 'inventory.json': Buffer.from(sample['inventory.json']) };
  return (host) => localCopyNames.map((name) => ({ name, data: name === 'host.json' ? Buffer.from(make(host)['host.json']) : shared[name] }));
}

