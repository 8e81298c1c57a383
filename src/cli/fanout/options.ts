/**
 * The fan-out options run, push, diff, fetch and apply share (DESIGN.md,
 * "Fan-out options"), and turning them into what the library takes: a transport
 * (which owns how to connect) and the engine's options (how to fan out).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { commandLineLines } from '../../transport/ssh/config/commandLine.js';
import type { Inventory } from '../../inventory/types.js';
import { defaultForks, type RunOptions } from '../../run/engine.js';
import { routingTransport, transportFor, transportNames, type TransportOptions } from '../../transport/factory.js';
import type { SudoAs, Target, Transport } from '../../transport/types.js';
import type { GlobalOptions } from '../globals.js';
import type { FleetOptions } from './fleet.js';
import { natsSettings } from './natsSettings.js';
import { retryConnects, retrySettings } from './retryConnect.js';
import { addTargetOptions } from './targetOptions.js';
import type { SudoOptions } from './sudoOptions.js';
import { sudoAsTransport } from '../../transport/sudo.js';

/** The parsed fan-out options (commander's camelCase names). */
export interface FanoutOptions extends GlobalOptions, FleetOptions, SudoOptions {
  /** Absent: `defaultForks`, or `defaultNatsForks` when every host goes over nats. */
  forks?: string;
  connectTimeout?: string;
  timeout?: string;
  batch?: string;
  maxFail?: string;
  stream?: boolean;
  /** Given: every host goes this way. Absent: each host's `muster_transport`, else ssh. */
  transport?: string;
  /** The nats transport's operator (its certificate's name). */
  operator?: string;
  acceptNew?: boolean;
  allStates?: boolean;
  /** `-o Key=Value`, repeatable: ssh_config options that win as `ssh -o` does. */
  sshOption?: string[];
  /** `--retry N`: connect again to a host that was unreachable, up to N more times. */
  retry?: string;
  /** `--retry-delay D`: the first wait before connecting again (doubled each time). */
  retryDelay?: string;
  /** `--allow-empty`: a selection of no host is not an error. */
  allowEmpty?: boolean;
  /** `--list-hosts`: print the selection and run nothing. */
  listHosts?: boolean;
  /** `--batch-wait D`: settle between batches. */
  batchWait?: string;
  /** `--watch D`: run again every D until Ctrl-C, the screen redrawn. */
  watch?: string;
}

/**
 * The default `--forks` when every host is reached over nats. A host there costs a
 * message on the one open broker connection and a timer, not a socket, a handshake or a
 * process as over ssh, and the agents do the work: the bound is there only to cap what is
 * in flight (5,000 outstanding requests are a few MB), so the fleets agents are for are
 * asked all at once.
 */
export const defaultNatsForks = 5000;

/** Adds the shared fan-out options to a command. */
export function addFanoutOptions(command: Command): Command {
  return addTargetOptions(command)
    .option('-f, --forks <n>', `hosts running at once (default ${defaultForks}; ${defaultNatsForks} when every host goes over nats)`)
    .option('--connect-timeout <duration>', 'give up connecting to a host after this long (default: ssh_config ConnectTimeout, else 10s)')
    .option('--timeout <duration>', 'per host, for the work after connecting: the remote command is killed and the host is `timeout`')
    .option('--batch <sizes>', 'rolling batches, e.g. 1,5,25% (a canary, then wider; the last size repeats; P% of the selected hosts, rounded up)')
    .option('--batch-wait <duration>', 'between batches, wait this long after one ends before the next starts (as salt --batch-wait)')
    .option('--max-fail <n|p%>', 'once failures (failed, unreachable, timeout) EXCEED this, start no more hosts (P% of the selected hosts, rounded down)')
    .option('--sudo', 'run remote commands through sudo (as root, sudo -n: never waiting for a password unless given one)')
    .option('--sudo-user <user>', 'with --sudo: become this user instead of root (as ansible --become-user)')
    .option('-K, --ask-sudo-pass', 'with --sudo: ask once for sudo\'s password (never echoed, logged, journaled or on a command line)')
    .option('--sudo-password-file <file>', 'with --sudo: sudo\'s password is the first line of this file (for scripts; as ansible --become-password-file)')
    .option('--stream', 'print output lines as they come, as `host: line`, instead of the gathered view')
    .option('--watch <duration>', 'run again every DURATION until Ctrl-C, the screen redrawn each time (as watch(1)); not journaled')
    .addOption(new Option('--transport <name>', 'how to reach every host (default: each host\'s muster_transport variable, else ssh)').choices([...transportNames]))
    .option('--operator <name>', 'nats: the operator certificate to use (default: $MUSTER_OPERATOR, else the only one in STATE/ca/operators/)')
    .option('--accept-new', 'record unknown host keys (as OpenSSH accept-new); changed keys are always refused')
    .option('--all-states', 'include hosts whose state is in skip_states')
    .option('--retry <n>', 'connect again, up to N more times, to a host that was unreachable (nothing ran there), waiting --retry-delay, doubled each time')
    .option('--retry-delay <duration>', 'the first wait before connecting again (default 1s)');
}

/**
 * What the fan-out options become: the transport (with its connect options) and
 * the engine's options apart from the transport, the signal and the event
 * handler, which the caller adds (`{ transport, ...run, signal, onEvent }`).
 */
export interface FanoutSettings {
  transport: Transport;
  run: Omit<RunOptions, 'transport' | 'signal' | 'onEvent'>;
}

/** The hosts of a fan-out and the inventory they come from (its `agents` section is where the broker is). */
export interface FanoutFleet {
  targets: readonly Target[];
  inventory?: Inventory | undefined;
}

/**
 * Checks and converts the fan-out options. Throws UsageError naming the flag for a
 * bad `--forks`, `--connect-timeout` or `--timeout`; `--batch` and `--max-fail`
 * are checked by the engine when it starts.
 *
 * The transport: `--transport` for every host when given, else each target's own
 * (`muster_transport`), else ssh; a fleet that mixes transports gets a routing transport
 * that makes each one it needs once. Nats needs `fleet.inventory`'s broker and an operator
 * (see natsSettings.ts): asked only when some host goes over nats.
 */
export function fanoutSettings(options: FanoutOptions, fleet: FanoutFleet = { targets: [] }, env: NodeJS.ProcessEnv = process.env, sudoAs?: SudoAs): FanoutSettings {
  const connectTimeoutMs = options.connectTimeout !== undefined ? positiveDuration(options.connectTimeout, '--connect-timeout') : undefined;
  const timeoutMs = options.timeout !== undefined ? positiveDuration(options.timeout, '--timeout') : undefined;
  const batchWaitMs = options.batchWait !== undefined ? positiveDuration(options.batchWait, '--batch-wait') : undefined;
  const nameOf = (target: Target): string => options.transport ?? target.transport ?? 'ssh';
  const names = new Set(fleet.targets.map(nameOf));
  if (names.size === 0) names.add(options.transport ?? 'ssh');
  // The agents run commands as root through their own sudo wrapping: no other user, no password to hand over.
  if (sudoAs && names.has('nats')) throw new UsageError('--sudo-user, -K and --sudo-password-file work over ssh, openssh and local, not over nats');
  for (const target of fleet.targets) {
    if (options.transport === undefined && target.transport !== undefined && !(transportNames as readonly string[]).includes(target.transport)) {
      throw new UsageError(`Host ${target.name}: muster_transport "${target.transport}" is not a transport: use ${transportNames.join(', ')}`);
    }
  }
  const forks = options.forks !== undefined ? parseCount(options.forks, '--forks') : names.size === 1 && names.has('nats') ? defaultNatsForks : defaultForks;
  const transportOptions: TransportOptions = {
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    ...(options.acceptNew ? { acceptNew: true } : {}),
    ...(options.sshOption !== undefined && options.sshOption.length > 0 ? { sshOptions: checkSshOptions(options.sshOption) } : {}),
    ...(names.has('nats') ? { nats: natsSettings(fleet.inventory, options.operator, env) } : {}),
  };
  let transport: Transport;
  if (names.size === 1) transport = transportFor([...names][0] as string, transportOptions);
  else {
    const made = new Map<string, Transport>();
    transport = routingTransport((target) => {
      const name = nameOf(target);
      let picked = made.get(name);
      if (!picked) made.set(name, picked = transportFor(name, transportOptions));
      return picked;
    });
  }
  if (sudoAs) transport = sudoAsTransport(transport, sudoAs);
  const retry = retrySettings(options.retry, options.retryDelay);
  if (retry) transport = retryConnects(transport, retry);
  return {
    transport,
    run: {
      forks,
      ...(options.batch !== undefined ? { batch: options.batch } : {}),
      ...(options.maxFail !== undefined ? { maxFail: options.maxFail } : {}),
      ...(batchWaitMs !== undefined ? { batchWaitMs } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  };
}

/** `-o` words checked as ssh checks them (a bad keyword or value, `Host`/`Match`/`Include`) before any host is asked. */
function checkSshOptions(words: string[]): string[] {
  commandLineLines(words);
  return words;
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`Invalid ${flag} "${text}": give a whole number of at least 1`);
  return Number(text);
}

/** A duration flag's value in ms, more than 0; a bad one is a usage error naming the flag. */
export function positiveDuration(text: string, flag: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`Invalid ${flag} "${text}": use a number of seconds or a form like 500ms, 30s, 5m, 1h30m`);
  }
  if (ms <= 0) throw new UsageError(`Invalid ${flag} "${text}": must be more than 0`);
  return ms;
}
