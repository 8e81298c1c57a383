/**
 * `muster drift [SEL] [--json] [--show-secrets]`: every selected host's managed
 * files (docs/files.md) compared with the repository, in one connection and one
 * probe exec per host, gathered for the fleet: per path, the groups of hosts in
 * the same state, each diff once. Exit 0 in sync, 1 on any drift.
 */
import type { Command } from 'commander';
import { runOn, type RunResult } from '../../run/engine.js';
import { DriftContents, driftGroups, driftJob, withDriftText, type HostDrift, type PathReport } from '../../ops/drift.js';
import { driftRecord, formatDrift } from './driftView.js';
import { prepareManaged } from '../../ops/managedSources.js';
import { selectFleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { newCommand } from '../globals.js';

interface DriftOptions extends FanoutOptions {
  showSecrets?: boolean;
}

/** The `drift` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('drift', 'the managed files of every selected host compared with the repository, gathered'))
    .argument('[selector]', 'which hosts (default: all)', 'all')
    .option('--show-secrets', 'show the diffs of files with mode 0600 or stricter, keys and secrets too')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster drift',
      '  muster drift web --json',
      '',
      'One connection and one remote command per host (checksums first, contents only of the files that differ).',
      'Exit codes: 0 in sync, 1 some file drifted (or a host failed), 2 usage or inventory problem.',
    ].join('\n'))
    .action(async (selector: string, options: DriftOptions) => {
      const fleet = await selectFleet([selector], options);
      // Every src read and every template rendered before any host is asked.
      const plan = await prepareManaged(fleet.inventory, fleet.hosts);
      const show = options.showSecrets ? { showSecrets: true } : {};
      let reports: PathReport[] = [];
      await fanoutWith(fleet.targets, options, {
        command: 'drift',
        selector,
        jsonRecord: driftRecord,
        render: (result, color) => formatDrift(reports, silentHosts(result), color),
      }, async (run) => {
        const contents = new DriftContents();
        const result = await runOn(fleet.targets, driftJob(plan, contents, { ...(options.sudo ? { sudo: true } : {}), ...show }), run);
        reports = driftGroups(result, plan, contents, show);
        return withDriftText(result, reports);
      });
    });
}

/** Hosts that gave no drift answer (unreachable, timed out, failed before the probe). */
export function silentHosts(result: RunResult): string[] {
  return result.outcomes.filter((outcome) => (outcome.data as HostDrift | undefined)?.files === undefined).map((outcome) => outcome.host);
}
