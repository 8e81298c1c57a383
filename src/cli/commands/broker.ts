/**
 * `muster broker up [--cluster N] [--systemd] | down | status | config`: nats-server
 * configured from the inventory and the CA's index (docs/broker.md). The state folder is
 * `$MUSTER_STATE`, else the inventory's `agents.state`, else ~/.local/state/muster.
 */
import type { Command } from 'commander';
import { stateDirFor } from '../../ca/paths.js';
import { activeCertificates, readIndex } from '../../ca/records.js';
import { UsageError } from '../../core/errors.js';
import { brokerConfigs } from '../../broker/config.js';
import { brokerDown, brokerStatus, brokerUp, type NodeStatus } from '../../broker/process.js';
import { brokerUnits, systemUnitDir, unitName } from '../../broker/systemd.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';

interface ClusterOptions extends GlobalOptions {
  cluster?: string;
}

interface UpOptions extends ClusterOptions {
  systemd?: boolean;
  unitDir: string;
}

function clusterSize(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`Invalid --cluster "${text}": give a whole number of nodes, at least 1`);
  return Number(text);
}

/** The state folder; `down` and `status` need no inventory when `$MUSTER_STATE` names it. */
async function stateFor(options: GlobalOptions, inventoryNeeded: boolean): Promise<string> {
  if (!inventoryNeeded && process.env['MUSTER_STATE']) return stateDirFor(undefined);
  return stateDirFor(await inventoryFor(options));
}

const clusterOption = ['--cluster <n>', 'nodes in the cluster, the first N of agents.servers (default 1)'] as const;

function upCommand(): Command {
  return newCommand('up', 'write the nats-server config(s) and start the node(s) in the background')
    .option(...clusterOption)
    .option('--systemd', `write ${unitName(1)}… units instead of starting (you enable them)`)
    .option('--unit-dir <dir>', 'where --systemd writes units', systemUnitDir)
    .action(async (options: UpOptions) => {
      const cluster = clusterSize(options.cluster);
      const inventory = await inventoryFor(options);
      const stateDir = stateDirFor(inventory);
      if (options.systemd) {
        const units = await brokerUnits(inventory, stateDir, { cluster, unitDir: options.unitDir });
        if (options.json) {
          for (const unit of units) printJsonLine({ unit });
          return;
        }
        const names = units.map((unit) => unit.replace(/.*\//, '').replace(/\.service$/, ''));
        process.stdout.write(`${units.map((unit) => `wrote ${unit}\n`).join('')}start them: systemctl daemon-reload && systemctl enable --now ${names.join(' ')}\n`);
        return;
      }
      const nodes = await brokerUp(inventory, stateDir, { cluster });
      for (const node of nodes) {
        if (options.json) printJsonLine(node);
        else if (!options.quiet) process.stdout.write(`node ${node.index}: ${node.action === 'kept' ? 'already running' : node.action} (pid ${node.pid}) on ${node.url}\n`);
      }
    });
}

function downCommand(): Command {
  return newCommand('down', 'stop the nodes `broker up` started')
    .action(async (options: GlobalOptions) => {
      const stopped = await brokerDown(await stateFor(options, false));
      if (options.json) printJsonLine({ stopped });
      else if (!options.quiet) process.stdout.write(stopped.length === 0 ? 'broker: no node was running\n' : `broker: stopped node${stopped.length === 1 ? '' : 's'} ${stopped.join(', ')}\n`);
    });
}

function describe(node: NodeStatus): string {
  if (!node.alive) return `node ${node.index}: stopped${node.url ? ` (${node.url})` : ''}`;
  const stats = node.monitorError ?? `${node.connections ?? '?'} connections, ${node.memoryBytes === undefined ? '?' : `${(node.memoryBytes / 1024 / 1024).toFixed(1)} MiB`}`;
  return `node ${node.index}: running (pid ${node.pid}) on ${node.url ?? '?'}, ${stats}`;
}

function statusCommand(): Command {
  return newCommand('status', 'each node: running or not, its address, connections and memory')
    .action(async (options: GlobalOptions) => {
      const nodes = await brokerStatus(await stateFor(options, false));
      if (options.json) {
        for (const node of nodes) printJsonLine(node);
        return;
      }
      process.stdout.write(nodes.length === 0 ? 'broker: none configured here (muster broker up)\n' : nodes.map((node) => `${describe(node)}\n`).join(''));
    });
}

function configCommand(): Command {
  return newCommand('config', 'print the generated nats-server config(s), as `muster gen` does')
    .option(...clusterOption)
    .action(async (options: ClusterOptions) => {
      const inventory = await inventoryFor(options);
      const stateDir = stateDirFor(inventory);
      const files = brokerConfigs(inventory, stateDir, activeCertificates(await readIndex(stateDir)), { cluster: clusterSize(options.cluster) });
      if (options.json) {
        for (const file of files) printJsonLine({ file: file.path, content: file.content });
        return;
      }
      process.stdout.write(files.map((file) => `# ==> ${file.path} <==\n${file.content}`).join('\n'));
    });
}

/** `muster broker`: up, down, status, config. */
export function command(): Command {
  return newCommand('broker', 'nats-server configured from the inventory: up, down, status, config')
    .enablePositionalOptions()
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(configCommand());
}
