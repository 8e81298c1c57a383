/**
 * The packaged agent's own entry (`/usr/bin/muster-agent`, bundled by package.ts): `run`
 * (the default) and `enroll`, with the same options as `muster agent run|enroll`. It parses
 * its arguments with node:util instead of the CLI's commander (which needs Node 20, when
 * Debian 12's nodejs is 18) and imports nothing of the CLI, so the bundle holds only the
 * agent, zod and the NATS client — never ssh2 or better-sqlite3.
 */
import { parseArgs } from 'node:util';
import { MusterError, UsageError } from '../core/errors.js';
import { defaultAgentDir } from './config.js';
import { startAgent } from './daemon.js';
import { enroll } from './enroll.js';
import { agentVersion } from './version.js';

const usage = `Usage: muster-agent [run] [--dir DIR]
       muster-agent enroll --name HOST [--dir DIR] [--servers URL,…] [--roles ROLE,…]
       muster-agent --version

  run      connect to the broker and answer requests until SIGTERM (default)
  enroll   make this host's key (kept if present) and CSR, write agent.json, print the CSR
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
    } else {
      throw new UsageError(`Unknown subcommand "${sub}": use run or enroll`);
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
