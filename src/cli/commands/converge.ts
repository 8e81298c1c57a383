/**
 * `muster converge [SEL] [--check] [--batch N] [--max-fail N]`: every selected
 * host's managed files (docs/files.md) applied with push's rules, all files of a
 * host in one step over one connection, journaled. `--check` changes nothing: the
 * drift view, every drifted host `changed: would change …`.
 */
import type { Command } from 'commander';
import { runOn, type RunResult } from '../../run/engine.js';
import type { Outcome } from '../../run/outcome.js';
import { DriftContents, driftGroups, driftJob, withDriftText, type HostDrift, type PathReport } from '../../ops/drift.js';
import { driftRecord, formatDrift } from './driftView.js';
import { prepareManaged } from '../../ops/managedSources.js';
import { deploySummary, withDeployMessages } from '../../report/deploy.js';
import { formatGathered } from '../../report/display.js';
import { gather } from '../../report/gather.js';
import { selectFleet } from '../fanout/fleet.js';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { newCommand } from '../globals.js';
import { silentHosts } from './drift.js';

interface ConvergeOptions extends FanoutOptions {
  check?: boolean;
  showSecrets?: boolean;
}

/** The `converge` command. */
export function command(): Command {
  return addFanoutOptions(newCommand('converge', 'apply the managed files to every selected host: push rules, tests, one then per host, rollback per host'))
    .argument('[selector]', 'which hosts (default: all)', 'all')
    .option('--check', 'change nothing: show what would change, as `muster drift` does')
    .option('--show-secrets', 'with --check: show the diffs of files with mode 0600 or stricter, keys and secrets too')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster converge web --check',
      '  muster converge web --batch 1,25% --max-fail 0',
      '',
      'Exit codes: 0 converged (or nothing to do), 1 some host failed (its files put back), 2 usage, 3 stopped by --max-fail.',
    ].join('\n'))
    .action(async (selector: string, options: ConvergeOptions) => {
      const fleet = await selectFleet([selector], options);
      // Every src read and every template rendered before any host is touched.
      const plan = await prepareManaged(fleet.inventory, fleet.hosts);
      const sudo = options.sudo ? { sudo: true } : {};
      if (options.check) {
        const show = options.showSecrets ? { showSecrets: true } : {};
        let reports: PathReport[] = [];
        await fanoutWith(fleet.targets, options, {
          command: 'converge --check',
          selector,
          jsonRecord: driftRecord,
          render: (result, color) => formatDrift(reports, silentHosts(result), color) + deploySummary(result, true),
        }, async (run) => {
          const contents = new DriftContents();
          const result = await runOn(fleet.targets, driftJob(plan, contents, { ...sudo, ...show }), run);
          reports = driftGroups(result, plan, contents, show);
          const described = withDriftText(result, reports);
          return { ...described, outcomes: described.outcomes.map(wouldChange) };
        });
        return;
      }
      // Loaded here: the install machinery (and the template engine) is not needed by --check.
      const { convergeJob } = await import('../../ops/converge.js');
      const job = convergeJob(plan, { ...sudo, startedAt: new Date() });
      await fanoutWith(fleet.targets, options, {
        command: 'converge',
        selector,
        render: (result, color) => formatGathered(gather(result.outcomes), { color, ...(options.quiet ? { hide: new Set(['ok'] as const) } : {}) }) + deploySummary(result, false),
      }, async (run): Promise<RunResult> => withDeployMessages(await runOn(fleet.targets, job, run)));
    });
}

/** A drifted host under --check: what converge would change there, not a failure. */
function wouldChange(outcome: Outcome): Outcome {
  const data = outcome.data as HostDrift | undefined;
  if (!data || outcome.status !== 'failed') return outcome;
  const off = data.files.filter((check) => check.verdict !== 'in sync').map((check) => check.path);
  return { ...outcome, status: 'changed', exitCode: 0, message: `would change ${off.join(', ')}` };
}
