/**
 * `muster agent install SEL [--deb FILE] [--no-systemd]`: bootstraps agents over the
 * existing SSH fan-out. On each host, in one session: (with --deb) copy and install the
 * package; `agent enroll` (the host makes its own key and prints a CSR naming itself);
 * the CSR is submitted to the fleet CA here (source ssh, the inventory address) and
 * signed at once when `agents.autosign` selects the host, else left pending; the signed
 * certificate and the CA certificate are written back; the agent is started (systemd, or
 * `setsid` with a pid file where there is no systemd, as on lab hosts). One outcome per
 * host, gathered like `run`: `changed` (started, or pending), `failed` (with the step).
 *
 * The CA and the index live on this machine only; keys never leave their host (the
 * host's key stays there, only its CSR and its certificate travel).
 */
import type { Command } from 'commander';
import { addFanoutOptions, type FanoutOptions } from '../fanout/options.js';
import { newCommand } from '../globals.js';
import { defaultAgentDir } from '../../agent/config.js';


interface InstallOptions extends FanoutOptions {
  deb?: string;
  systemd: boolean;
  dir?: string;
}

/**
 * Adds `install SEL [--deb FILE] [--no-systemd] [--dir D]` (with the fan-out options) to
 * `muster agent`'s command. After signing, running brokers are refreshed (their users) before the agent starts.
 */
export function addInstallCommand(agentCommand: Command): Command {
  return agentCommand.addCommand(addFanoutOptions(newCommand('install', 'bootstrap agents over SSH: enroll, sign (agents.autosign), write the certificate, start'))
    .argument('<selector>', 'which hosts')
    .option('--deb <file>', 'copy this muster-agent .deb to each host and install it first (else hosts run this muster by its path)')
    .option('--no-systemd', 'start the agent with setsid and a pid file (/run/muster-agent.pid) instead of systemd')
    .option('--dir <dir>', 'the agent folder on each host', defaultAgentDir)
    .action(async (selector: string, own: InstallOptions, command: Command) => {
      // `agent` may take the global options itself (--json, -i, -q before or after `install`): merge them.
      const options = { ...command.optsWithGlobals<InstallOptions>(), ...own };
      // Loaded here: `muster agent run` on a host must not pay for the CA, the broker and the fan-out.
      const [{ selectFleet }, { runFanout }, { refreshBrokers }, { stateDirFor }, { installAgentJob, installSettings }] = await Promise.all([
        import('../fanout/fleet.js'), import('../fanout/runFanout.js'), import('../../broker/process.js'), import('../../ca/paths.js'), import('./agentInstallJob.js'),
      ]);
      const fleet = await selectFleet([selector], options);
      const settings = await installSettings(fleet.inventory, {
        ...(options.dir !== undefined ? { dir: options.dir } : {}),
        ...(options.deb !== undefined ? { deb: options.deb } : {}),
        start: options.systemd ? { kind: 'systemd' } : { kind: 'setsid' },
        refresh: () => refreshBrokers(fleet.inventory, stateDirFor(fleet.inventory)),
      });
      await runFanout(fleet, installAgentJob(settings), options, { command: 'agent install', selector });
    }));
}
