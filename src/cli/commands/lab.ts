/**
 * `muster lab up [N] | down | status | stop HOST | start HOST`: a throwaway fleet
 * of real sshd hosts on this machine (see src/lab/). Needs root.
 */
import type { Command } from 'commander';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import { shellQuote } from '../../core/shell.js';
import { labDown, labList, labRoleShares, labStartHost, labStatus, labStopHost, labSummaries, labUp, type Lab, type LabStatus } from '../../lab/index.js';
import { exitCodes } from '../exit.js';
import type { LabAgentsUp } from './labAgents.js';
import { newCommand, printJsonLine, withoutGlobals, type GlobalOptions } from '../globals.js';

interface LabOptions extends GlobalOptions {
  name: string;
}

interface UpOptions extends LabOptions {
  prefix: string;
  like?: string;
  from?: string;
  roles?: string;
  recreate?: boolean;
  agents?: boolean;
  brokers?: string;
}


function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

function describeAgents(agents: LabAgentsUp): string[] {
  return [
    `  agents      ${agents.agents} connected to ${agents.servers.join(', ')}`,
    `  state       ${agents.stateDir} (fleet CA, operator ${agents.operator}, brokers)`,
  ];
}

function describeUp(lab: Lab, took: string, nameFlag: string, restarted: number, agents?: LabAgentsUp): string {
  const names = lab.hosts.map((host) => host.name);
  const addresses = lab.hosts.map((host) => host.address);
  const roles = [...new Set(lab.hosts.flatMap((host) => host.roles))];
  const head = lab.created
    ? `lab "${lab.name}": ${lab.hosts.length} hosts up in ${took}`
    : `lab "${lab.name}" was already there with ${lab.hosts.length} hosts` +
      (restarted > 0 ? `; started its ${restarted} stopped host${restarted === 1 ? '' : 's'} again` : '; left as it was') +
      ' (--recreate to make it anew)';
  return [
    head,
    `  hosts       ${foldNodeset(names)} on ${foldNodeset(addresses)}${roles.length > 0 ? `, roles ${roles.join(', ')}` : ''}`,
    `  inventory   ${lab.inventoryPath}`,
    `  ssh_config  ${lab.sshConfigPath}`,
    ...(agents ? describeAgents(agents) : []),
    '',
    'Use it:',
    `  export MUSTER_INVENTORY=${shellQuote(lab.inventoryPath)}`,
    '  muster ls',
    `  ssh -F ${shellQuote(lab.sshConfigPath)} ${names[0] ?? ''} hostname`,
    ...(agents ? ['  muster run all --transport nats -- hostname', '  muster call all ping.get'] : []),
    `Take it down: muster lab down${nameFlag}`,
    '',
  ].join('\n');
}

function describeStatus(status: LabStatus, verbose: boolean): string {
  const stopped = status.hosts.filter((host) => !host.running);
  const running = status.hosts.length - stopped.length;
  const lines = [
    `lab "${status.name}": ${status.hosts.length} hosts, ${running} running` +
      (stopped.length > 0 ? `, ${stopped.length} stopped (${foldNodeset(stopped.map((host) => host.name))})` : ''),
    `  inventory   ${status.inventoryPath}`,
  ];
  if (verbose) {
    const width = Math.max(...status.hosts.map((host) => host.name.length));
    const addressWidth = Math.max(...status.hosts.map((host) => host.address.length));
    for (const host of status.hosts) {
      const daemons = host.daemons.map((daemon) => `${daemon.name} (pid ${daemon.pid})`).join(', ');
      lines.push(`  ${host.name.padEnd(width)}  ${host.address.padEnd(addressWidth)}  ${(host.running ? `running (pid ${host.pid})` : 'stopped').padEnd(22)}  ${host.roles.join(',').padEnd(8)}  ${daemons}`.trimEnd());
    }
  }
  return `${lines.join('\n')}\n`;
}

function nameFlag(name: string): string {
  return name === 'default' ? '' : ` --name ${name}`;
}

/** Runs `work` with a signal that Ctrl-C aborts; an interrupted run sets exit code 130. */
async function interruptible(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onInterrupt);
  try {
    await work(controller.signal);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    process.stderr.write('muster lab: interrupted; what was made is removed\n');
    process.exitCode = exitCodes.interrupted;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** The CA, brokers and agents of a lab made with agents; on failure the whole lab goes again, as a failed labUp leaves nothing. */
async function withAgents(lab: Lab, signal: AbortSignal): Promise<LabAgentsUp> {
  const { labAgentsDown, labAgentsUp } = await import('./labAgents.js');
  try {
    return await labAgentsUp(lab, { signal });
  } catch (error) {
    if (lab.agents) await labAgentsDown(lab.agents.stateDir).catch(() => undefined);
    await labDown(lab.name).catch(() => undefined);
    throw error;
  }
}

function parseBrokers(text: string): number {
  if (!/^[1-3]$/.test(text)) throw new UsageError(`Invalid --brokers "${text}": 1, 2 or 3`);
  return Number(text);
}

const nameOption = ['--name <name>', 'lab name (several labs can run at once)', 'default'] as const;

function upCommand(): Command {
  // A lab reads no inventory (it writes one): no -i on any lab command. `up --like` reads the
  // real one, found as every command finds it, or named with --from (not -i: that would read as the lab's).
  return withoutGlobals(newCommand('up', 'bring up N hosts (default 10) and write their inventory'), ['inventory'])
    .argument('[count]', 'how many hosts (default 10, or the sum of --roles counts)')
    .option('--like <selector>', 'one lab host for each selected real host, named, roled and given files like it, in a second inventory (LABDIR/like/muster.yaml)')
    .option('--from <inventory>', 'with --like: the real inventory (default: $MUSTER_INVENTORY, else muster.yaml or inventory/ here or above)')
    .option(...nameOption)
    .option('--prefix <prefix>', 'host name prefix: PREFIX01, PREFIX02, …', 'lab')
    .option('--roles <roles>', 'roles in contiguous blocks: web,db,cache (split evenly) or web:10,db:5 (exact counts)')
    .option('--recreate', 'make the lab anew even if it is already up as asked')
    .option('--agents', 'also a fleet CA, a broker and a real muster agent in every host (enrolled, signed, connected)')
    .option('--brokers <n>', 'with --agents: how many brokers (a cluster when more than 1; at most 3)', '1')
    .action(async (countText: string | undefined, options: UpOptions, cmd: Command) => {
      if (options.like !== undefined) return likeUp(options.like, countText, options);
      if (options.from !== undefined) throw new UsageError('--from names the real inventory of --like: give --like SEL with it');
      const roles = options.roles === undefined ? [] : [options.roles];
      const before = (await labList()).includes(options.name) ? await labStatus(options.name).catch(() => undefined) : undefined;
      let count: number | undefined;
      if (countText !== undefined) {
        if (!/^\d+$/.test(countText)) throw new UsageError(`Invalid host count "${countText}": expected a whole number`);
        count = Number(countText);
      } else if (roles.length > 0 ? labRoleShares(roles).some((share) => share.count === undefined) : before === undefined) {
        // No count: 10 for a new lab; a lab that is there is taken as it is (labUp).
        count = 10;
      }
      const brokers = options.agents ? parseBrokers(options.brokers ?? '1') : undefined;
      // The default prefix only for a new lab: given no shape, a lab that is there keeps its own.
      const prefix = cmd.getOptionValueSource('prefix') === 'default' && before !== undefined && count === undefined ? undefined : options.prefix;
      const stopped = before?.hosts.filter((host) => !host.running).length ?? 0;
      await interruptible(async (signal) => {
        const started = performance.now();
        const lab = await labUp({
          name: options.name, roles, signal,
          ...(prefix === undefined ? {} : { prefix }),
          ...(count === undefined ? {} : { count }),
          ...(options.recreate ? { recreate: true } : {}),
          ...(brokers !== undefined ? { agents: { brokers } } : {}),
        });
        // Loaded only here: a lab without agents never pays for the CA, the broker or the install.
        const agents = brokers === undefined ? undefined : await withAgents(lab, signal);
        if (options.json) printJsonLine(agents ? { ...lab, agents } : lab);
        else if (options.quiet) process.stdout.write(`${lab.inventoryPath}\n`);
        else process.stdout.write(describeUp(lab, elapsed(started), nameFlag(options.name), stopped, agents));
      });
    });
}

/** `lab up --like SEL`: a lab of as many hosts as SEL selects, and the like inventory for them (labLike.ts, lab/like.ts). */
async function likeUp(selector: string, countText: string | undefined, options: UpOptions): Promise<void> {
  if (countText !== undefined || options.roles !== undefined) throw new UsageError('--like gives the lab one host per selected host, with their roles: no count or --roles with it');
  if (options.agents) throw new UsageError('--like with --agents is not supported: the like hosts are reached over SSH');
  const { likeSelection, likeSpec } = await import('./labLike.js');
  const { writeLikeInventory } = await import('../../lab/like.js');
  const { inventory, hosts } = await likeSelection(selector, { ...(options.from !== undefined ? { inventory: options.from } : {}), ...(options.quiet ? { quiet: true } : {}) });
  await interruptible(async (signal) => {
    const started = performance.now();
    const lab = await labUp({ name: options.name, count: hosts.length, prefix: options.prefix, signal, ...(options.recreate ? { recreate: true } : {}) });
    const like = await writeLikeInventory(likeSpec(lab, selector, inventory, hosts));
    const pairs = hosts.map((host, index) => ({ name: host.name, address: lab.hosts[index]?.address ?? '', lab: lab.hosts[index]?.name ?? '', roles: host.roles }));
    if (options.json) printJsonLine({ ...lab, like: { selector, inventory: like, from: inventory.files, hosts: pairs } });
    else if (options.quiet) process.stdout.write(`${like}\n`);
    else {
      process.stdout.write(describeUp(lab, elapsed(started), nameFlag(options.name), 0).replace(/\nUse it:[^]*$/, '\n'));
      const roles = [...new Set(hosts.flatMap((host) => host.roles))];
      process.stdout.write([
        `  like        ${foldNodeset(hosts.map((host) => host.name))} of ${inventory.files.join(', ')}${roles.length > 0 ? `, roles ${roles.join(', ')}` : ''}`,
        `  inventory   ${like} (the real names, roles, vars and files; the lab's addresses)`,
        '',
        'Try it:',
        `  export MUSTER_INVENTORY=${shellQuote(like)}`,
        '  muster ls',
        '  muster converge --check',
        `Take it down: muster lab down${nameFlag(options.name)}`,
        '',
      ].join('\n'));
    }
  });
}

function downCommand(): Command {
  return withoutGlobals(newCommand('down', 'stop every host of a lab and remove everything it made'), ['inventory'])
    .option(...nameOption)
    .action(async (options: LabOptions) => {
      const started = performance.now();
      // Its brokers first, while the hosts' agents still run: they see a broker go, not a host.
      const agents = (await labList()).includes(options.name) ? (await labStatus(options.name).catch(() => undefined))?.agents : undefined;
      if (agents) await (await import('./labAgents.js')).labAgentsDown(agents.stateDir);
      const existed = await labDown(options.name);
      if (!existed) throw new NotFoundError('lab', options.name, `labs here: ${(await labList()).join(', ') || 'none'}`);
      if (options.json) printJsonLine({ name: options.name, down: true });
      else if (!options.quiet) process.stdout.write(`lab "${options.name}": down in ${elapsed(started)}; hosts stopped, mounts and files removed\n`);
    });
}

function statusCommand(): Command {
  return withoutGlobals(newCommand('status', 'the labs here, or one lab host by host (--name; -v: every lab host by host)'), ['inventory', 'quiet'])
    .option('--name <name>', 'one lab, host by host')
    .action(async (options: Omit<LabOptions, 'name'> & { name?: string }) => {
      if (options.name !== undefined) {
        const status = await labStatus(options.name);
        if (options.json) printJsonLine(status);
        else process.stdout.write(describeStatus(status, true));
        return;
      }
      const labs = await labSummaries();
      if (options.json) {
        for (const lab of labs) printJsonLine(lab);
        return;
      }
      if (labs.length === 0) {
        process.stdout.write('no labs (start one with `muster lab up`)\n');
        return;
      }
      if (options.verbose) {
        // Every lab as `--name` shows one; a lab that cannot be read says why on its line.
        for (const lab of labs) process.stdout.write(lab.error ? `${lab.name}  ${lab.error}\n` : describeStatus(await labStatus(lab.name), true));
        return;
      }
      const width = Math.max(...labs.map((lab) => lab.name.length));
      for (const lab of labs) {
        const detail = lab.error ?? `${lab.hosts} hosts, ${lab.running} running${lab.daemons > 0 ? `, ${lab.daemons} daemons` : ''}`;
        process.stdout.write(`${lab.name.padEnd(width)}  ${detail}\n`);
      }
    });
}

function stopCommand(): Command {
  return withoutGlobals(newCommand('stop', 'stop one host (sshd and every process in it): connections are refused until start'), ['inventory'])
    .argument('<host>', 'host name or address')
    .option(...nameOption)
    .action(async (host: string, options: LabOptions) => {
      const stopped = await labStopHost(options.name, host);
      if (options.json) printJsonLine({ name: options.name, host, stopped });
      else if (!options.quiet) process.stdout.write(stopped ? `${host}: stopped\n` : `${host}: was already stopped\n`);
    });
}

function startCommand(): Command {
  return withoutGlobals(newCommand('start', 'start a stopped host again (same files, key and address)'), ['inventory'])
    .argument('<host>', 'host name or address')
    .option(...nameOption)
    .action(async (host: string, options: LabOptions) => {
      await interruptible(async (signal) => {
        const started = await labStartHost(options.name, host, { signal });
        if (options.json) printJsonLine({ name: options.name, host, started });
        else if (!options.quiet) process.stdout.write(started ? `${host}: started\n` : `${host}: was already running\n`);
      });
    });
}

/** `muster lab`: its subcommands up, down, status, stop, start. */
export function command(): Command {
  // Positional options: `lab up --json` gives --json to `up`, not to `lab`, which has it too.
  // Its options would do nothing before a subcommand (`muster --json lab up` gives --json to up).
  return withoutGlobals(newCommand('lab', 'a throwaway local fleet of real sshd hosts (needs root)'), ['inventory', 'json', 'quiet', 'verbose'])
    .enablePositionalOptions()
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(stopCommand())
    .addCommand(startCommand());
}
