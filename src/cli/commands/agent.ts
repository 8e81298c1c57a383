/**
 * `muster agent [run] | enroll | package | install SEL`: the daemon on every host (docs/agent.md).
 * `run` (the default) and `enroll` are what `/usr/bin/muster-agent` does too (src/agent/main.ts);
 * `package` builds the .deb that installs it on hosts without Node.js from npm.
 * A folder or certificate the agent cannot use is one line and exit code 1.
 */
import { Command } from 'commander';
import { defaultAgentDir } from '../../agent/config.js';
import { enroll } from '../../agent/enroll.js';
import { joinAndRun, listOption, runAgentCommand } from '../../agent/main.js';
import { buildAgentPackage } from '../../agent/package.js';
import { newCommand } from '../globals.js';
import { addInstallCommand } from './agentInstall.js';

function runCommand(): Command {
  return newCommand('run', 'connect to the broker and answer requests until SIGTERM (the default)')
    .option('--dir <dir>', 'the agent folder: agent.json, agent.key, agent.crt, ca.crt', defaultAgentDir)
    .action(async (options: { dir: string }) => {
      process.exitCode = await runAgentCommand(options.dir, (line) => void process.stderr.write(`muster: ${line}\n`));
    });
}

function enrollCommand(): Command {
  return newCommand('enroll', 'make this host\'s key (kept if present) and a CSR naming it, write agent.json; prints the CSR')
    .requiredOption('--name <host>', 'this host\'s inventory name (the certificate\'s CN)')
    .option('--dir <dir>', 'the agent folder', defaultAgentDir)
    .option('--servers <urls>', 'broker URLs, comma-separated (default: those agent.json has)')
    .option('--roles <roles>', 'roles whose requests this agent answers, comma-separated (default: those agent.json has)')
    .action(async (options: { name: string; dir: string; servers?: string; roles?: string }) => {
      const servers = listOption(options.servers);
      const roles = listOption(options.roles);
      const done = await enroll({ name: options.name, dir: options.dir, ...(servers ? { servers } : {}), ...(roles ? { roles } : {}) });
      process.stdout.write(done.csr);
    });
}

function joinCommand(): Command {
  return newCommand('join', 'ask to join with the join credential in --dir (join.crt, join.key, ca.crt); once admitted, run')
    .requiredOption('--servers <urls>', 'broker URLs, comma-separated')
    .option('--name <host>', 'the name to join as (default: the hostname)')
    .option('--dir <dir>', 'the agent folder', defaultAgentDir)
    .action(async (options: { name?: string; dir: string; servers: string }) => {
      process.exitCode = await joinAndRun({ dir: options.dir, name: options.name, servers: listOption(options.servers) }, (line) => void process.stderr.write(`muster: ${line}\n`));
    });
}

function packageCommand(): Command {
  return newCommand('package', 'build muster-agent_VERSION_all.deb (Depends: nodejs >= 18) from this source tree')
    .option('--out <dir>', 'where the .deb goes', '.')
    .action(async (options: { out: string }) => {
      const deb = await buildAgentPackage({ outDir: options.out });
      process.stdout.write(`${deb}\n`);
    });
}

/** The `agent` command. */
export function command(): Command {
  const agent = newCommand('agent', 'the daemon on every host: run (default), enroll, join, package, install (over SSH)')
    .addCommand(runCommand(), { isDefault: true })
    .addCommand(enrollCommand())
    .addCommand(joinCommand())
    .addCommand(packageCommand());
  return addInstallCommand(agent);
}
