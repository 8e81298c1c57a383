/**
 * The packaged agent's own entry (`/usr/bin/muster-agent`, bundled by package.ts): `run`
 * (the default) and `enroll`, with the same options as `muster agent run|enroll`. It parses
 * its arguments with node:util instead of the CLI's commander (which needs Node 20, when
 * Debian 12's nodejs is 18) and imports nothing of the CLI, so the bundle holds only the
 * agent, zod and the NATS client — never ssh2 or better-sqlite3.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { MusterError, UsageError } from '../core/errors.js';
import { defaultAgentDir } from './config.js';
import { startAgent } from './daemon.js';
import { enroll } from './enroll.js';
import { joinFleet } from './join.js';
import { agentVersion } from './version.js';

const usage = `Usage: muster-agent [run] [--dir DIR]
       muster-agent enroll --name HOST [--dir DIR] [--servers URL,…] [--roles ROLE,…]
       muster-agent join --servers URL,… [--name HOST] [--dir DIR]
       muster-agent --version

  run      connect to the broker and answer requests until SIGTERM (default)
  enroll   make this host's key (kept if present) and CSR, write agent.json, print the CSR
  join     ask to join with the join credential in DIR (join.crt, join.key, ca.crt), wait until
           an operator admits this host (muster admit), then run (default name: the hostname)
  --dir    the agent folder (default ${defaultAgentDir})
`;

/** Splits a comma-separated list option (`a,b`), dropping empty items. */
export function listOption(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter(Boolean);
}

/** Runs the agent until it stops; resolves with the exit code (0 stopped, 1 a certificate or folder it cannot use). */
export async function runAgentCommand(dir: string, say: (line: string) => void): Promise<number> {
  try {
    const daemon = await startAgent({ dir });
    return await daemon.done;
  } catch (error) {
    if (!(error instanceof MusterError)) throw error;
    say(error.message);
    return 1;
  }
}

/** `join`, then `run` once admitted: one process from the request to the running agent. */
export async function joinAndRun(options: { dir: string; name?: string | undefined; servers?: string[] | undefined }, say: (line: string) => void): Promise<number> {
  if (!options.servers || options.servers.length === 0) throw new UsageError('join needs --servers URL,… (the brokers, tls://HOST:PORT)');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    await joinFleet({ name: options.name ?? hostname(), dir: options.dir, servers: options.servers, log: say, signal: stop.signal });
  } catch (error) {
    if (stop.signal.aborted) return 130;
    if (!(error instanceof MusterError)) throw error;
    say(error.message);
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return runAgentCommand(options.dir, say);
}

/** `muster-agent ARGS…`: sets process.exitCode (2 for usage errors, 1 for failures). */
export async function agentMain(argv: string[]): Promise<void> {
  const say = (line: string): void => void process.stderr.write(`muster-agent: ${line}\n`);
  try {
    const [first, ...rest] = argv;
    if (first === '--help' || first === '-h' || first === 'help') {
      process.stdout.write(usage);
      return;
    }
    if (first === '--version' || first === '-V') {
      process.stdout.write(`${agentVersion()}\n`);
      return;
    }
    const sub = first === undefined || first.startsWith('-') ? 'run' : first;
    const args = first === undefined || first.startsWith('-') ? argv : rest;
    if (sub === 'run') {
      const { values } = parseArgs({ args, options: { dir: { type: 'string' } }, strict: true });
      process.exitCode = await runAgentCommand(values.dir ?? defaultAgentDir, say);
    } else if (sub === 'enroll') {
      const { values } = parseArgs({ args, options: { dir: { type: 'string' }, name: { type: 'string' }, servers: { type: 'string' }, roles: { type: 'string' } }, strict: true });
      if (!values.name) throw new UsageError('enroll needs --name HOST (the host\'s inventory name)');
      const servers = listOption(values.servers);
      const roles = listOption(values.roles);
      const done = await enroll({ name: values.name, dir: values.dir ?? defaultAgentDir, ...(servers ? { servers } : {}), ...(roles ? { roles } : {}) });
      process.stdout.write(done.csr);
    } else if (sub === 'join') {
      const { values } = parseArgs({ args, options: { dir: { type: 'string' }, name: { type: 'string' }, servers: { type: 'string' } }, strict: true });
      process.exitCode = await joinAndRun({ dir: values.dir ?? defaultAgentDir, name: values.name, servers: listOption(values.servers) }, say);
    } else {
      throw new UsageError(`Unknown subcommand "${sub}": use run, enroll or join`);
    }
  } catch (error) {
    if (error instanceof MusterError) {
      say(error.message);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    } else if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      say(`${error.message}\n${usage}`);
      process.exitCode = 2;
    } else {
      throw error;
    }
  }
}
