/**
 * The fan-out options run, push, diff, fetch and apply share (DESIGN.md,
 * "Fan-out options"), and turning them into what the library takes: a transport
 * (which owns how to connect) and the engine's options (how to fan out).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { defaultForks, type RunOptions } from '../../run/engine.js';
import { transportFor, transportNames } from '../../transport/index.js';
import type { Transport } from '../../transport/types.js';
import type { GlobalOptions } from '../globals.js';

/** The parsed fan-out options (commander's camelCase names). */
export interface FanoutOptions extends GlobalOptions {
  forks: string;
  connectTimeout?: string;
  timeout?: string;
  batch?: string;
  maxFail?: string;
  sudo?: boolean;
  stream?: boolean;
  transport: string;
  acceptNew?: boolean;
  allStates?: boolean;
}

/** Adds the shared fan-out options to a command. */
export function addFanoutOptions(command: Command): Command {
  return command
    .option('-f, --forks <n>', 'hosts running at once', String(defaultForks))
    .option('--connect-timeout <duration>', 'give up connecting to a host after this long (default: ssh_config ConnectTimeout, else 10s)')
    .option('--timeout <duration>', 'per host, for the work after connecting: the remote command is killed and the host is `timeout`')
    .option('--batch <sizes>', 'rolling batches, e.g. 1,5,25% (a canary, then wider; the last size repeats; P% of the selected hosts, rounded up)')
    .option('--max-fail <n|p%>', 'once failures (failed, unreachable, timeout) EXCEED this, start no more hosts (P% of the selected hosts, rounded down)')
    .option('--sudo', 'run remote commands through sudo -n')
    .option('--stream', 'print output lines as they come, as `host: line`, instead of the gathered view')
    .addOption(new Option('--transport <name>', 'how to reach hosts').choices([...transportNames]).default('ssh'))
    .option('--accept-new', 'record unknown host keys (as OpenSSH accept-new); changed keys are always refused')
    .option('--all-states', 'include hosts whose state is in skip_states');
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

/**
 * Checks and converts the fan-out options. Throws UsageError naming the flag for a
 * bad `--forks`, `--connect-timeout` or `--timeout`; `--batch` and `--max-fail`
 * are checked by the engine when it starts.
 */
export function fanoutSettings(options: FanoutOptions): FanoutSettings {
  const forks = parseCount(options.forks, '--forks');
  const connectTimeoutMs = options.connectTimeout !== undefined ? positiveDuration(options.connectTimeout, '--connect-timeout') : undefined;
  const timeoutMs = options.timeout !== undefined ? positiveDuration(options.timeout, '--timeout') : undefined;
  const transport = transportFor(options.transport, {
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    ...(options.acceptNew ? { acceptNew: true } : {}),
  });
  return {
    transport,
    run: {
      forks,
      ...(options.batch !== undefined ? { batch: options.batch } : {}),
      ...(options.maxFail !== undefined ? { maxFail: options.maxFail } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  };
}

function parseCount(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new UsageError(`Invalid ${flag} "${text}": give a whole number of at least 1`);
  return Number(text);
}

function positiveDuration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) throw new UsageError(`Invalid ${flag} "${text}": must be more than 0`);
  return ms;
}
