/**
 * The job of `muster agent install` (see agentInstall.ts for the command): on each host, in
 * one session, (with --deb) copy and install the package; `agent enroll` (the host makes its
 * own key and prints a CSR naming itself); the CSR is submitted to the fleet CA here (source
 * ssh, the inventory address) and signed at once when `agents.autosign` selects the host, else
 * left pending; the brokers are refreshed; the signed certificate and the CA certificate are
 * written back; the agent is started (systemd, setsid with a pid file, or the caller's way).
 * Keys never leave their host: only the CSR and the certificate travel.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MusterError, UsageError } from '../../core/errors.js';
import { shellJoin, shellQuote } from '../../core/shell.js';
import { caPaths, stateDirFor } from '../../ca/paths.js';
import { certifyCsr } from '../../ca/certify.js';
import { select } from '../../inventory/select.js';
import type { Host, Inventory } from '../../inventory/types.js';
import type { Job, JobResult } from '../../run/engine.js';
import type { Session } from '../../transport/types.js';
import { defaultAgentDir } from '../../agent/config.js';


/** How an installed agent is started on its host. */
export type AgentStart =
  | { kind: 'systemd' }
  /** `setsid` with a pid file (`/run/muster-agent.pid`) and a log (`/var/log/muster-agent.log`). */
  | { kind: 'setsid' }
  /** The caller starts it (the lab: a daemon inside the host); resolves to a word for the outcome. */
  | { kind: 'custom'; start: (host: Host, agentArgv: string[]) => Promise<string> };

/** What installAgentJob needs, made once per install by `installSettings`. */
export interface InstallSettings {
  stateDir: string;
  servers: string[];
  /** Every inventory host name (a CSR for another name is refused by the CA). */
  hostNames: ReadonlySet<string>;
  /** The hosts `agents.autosign` selects. */
  autosign: ReadonlySet<string>;
  hosts: ReadonlyMap<string, Host>;
  /** The folder of the agent on each host. */
  dir: string;
  /** A .deb to copy and install first (its bytes); without it the hosts run this machine's muster by path. */
  deb?: { name: string; bytes: Buffer };
  start: AgentStart;
  /**
   * Called after a host's certificate is signed and before its agent starts, so the brokers
   * know the new user when the agent connects. Coalesced: many hosts signing at once share
   * one refresh that began after their signature (see `coalesced`).
   */
  refresh: () => Promise<unknown>;
}

/** What each host's outcome carries as `data`. */
export interface InstallData {
  /** `signed`: signed now; `existing`: its key already had an active certificate; `pending`: waits for `muster ca sign`. */
  certificate: 'signed' | 'existing' | 'pending';
  serial?: string;
  /** How it was started (`systemd`, `pid 123`), when it was. */
  started?: string;
}

/**
 * The muster a host runs: with a .deb, the packaged `muster-agent`; else this machine's own
 * node and bin by absolute path (lab hosts and dev setups see this machine's filesystem).
 */
export function hostMuster(settings: Pick<InstallSettings, 'deb'>): string[] {
  if (settings.deb) return ['muster-agent'];
  return [process.execPath, ownBin(), 'agent'];
}

/**
 * Without a .deb the host runs this machine's muster by its path: say so when the host cannot
 * see it (a lab host has a /tmp of its own, so a checkout under /tmp is not there), instead of
 * Node's trace ending in "Node.js v20".
 */
function musterThereCheck(settings: Pick<InstallSettings, 'deb'>): string {
  if (settings.deb) return '';
  const bin = ownBin();
  const why = `${bin} is not on this host (lab hosts see this machine's files but have their own /tmp and /run): run muster from another folder, or give --deb`;
  return `[ -r ${shellQuote(bin)} ] || { echo ${shellQuote(why)} >&2; exit 127; }; `;
}

/**
 * This package's `bin/muster.js`, absolute: found from this module's place upwards (dist/cli/
 * commands/ after tsc, dist/bundle/ in the bundle), not from argv, which names a test runner or
 * a script when muster is used as a library.
 */
function ownBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'bin', 'muster.js');
    if (existsSync(candidate)) return realpathSync(candidate);
    dir = dirname(dir);
  }
  throw new MusterError(`Cannot find muster's bin/muster.js above ${fileURLToPath(import.meta.url)}; give --deb instead`);
}

/** The settings of an install over `inventory` (its `agents` section must name servers). */
export async function installSettings(inventory: Inventory, options: { dir?: string; deb?: string; start: AgentStart; refresh: () => Promise<unknown> }): Promise<InstallSettings> {
  const agents = inventory.agents;
  if (!agents || agents.servers.length === 0) throw new UsageError('The inventory has no agents.servers: say where agents connect (docs/agents.md)');
  const stateDir = stateDirFor(inventory);
  const autosign = agents.autosign === undefined ? [] : select(inventory, [agents.autosign], { allStates: true }).hosts.map((host) => host.name);
  let deb: InstallSettings['deb'];
  if (options.deb !== undefined) {
    const bytes = await readFile(options.deb).catch((error: unknown) => {
      throw new UsageError(`Cannot read --deb ${options.deb}: ${error instanceof Error ? error.message : String(error)}`);
    });
    deb = { name: basename(options.deb), bytes };
  }
  return {
    stateDir,
    servers: agents.servers,
    hostNames: new Set(inventory.hosts.map((host) => host.name)),
    autosign: new Set(autosign),
    hosts: new Map(inventory.hosts.map((host) => [host.name, host])),
    dir: options.dir ?? defaultAgentDir,
    ...(deb ? { deb } : {}),
    start: options.start,
    refresh: coalesced(options.refresh),
  };
}

/**
 * `work` made shareable: a call starts it when it is idle, else waits for one run that starts
 * after the current one ends (so every caller gets a run that began after its call), and
 * all callers waiting meanwhile share that one run.
 */
export function coalesced(work: () => Promise<unknown>): () => Promise<unknown> {
  let running: Promise<unknown> | undefined;
  let queued: Promise<unknown> | undefined;
  const start = (): Promise<unknown> => {
    const run = work().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return () => {
    if (!running) return start();
    queued ??= running.catch(() => undefined).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}

/** One step's exec: a non-zero exit is a StepError naming the step and the host's stderr. */
async function step(session: Session, what: string, command: string, signal: AbortSignal, stdin?: string | Buffer): Promise<string> {
  const result = await session.exec(command, { signal, ...(stdin !== undefined ? { stdin } : {}) });
  if (result.exitCode !== 0) {
    const detail = result.stderr.toString('utf8').trim().split('\n').slice(-2).join(' | ') || `exit code ${result.exitCode ?? result.signal}`;
    throw new StepError(`${what} failed: ${detail}`);
  }
  return result.stdout.toString('utf8');
}

class StepError extends MusterError {
  override name = 'StepError';
}

/** A shell line writing stdin to PATH atomically (temp beside it, then rename), with MODE. */
function writeFileLine(path: string, mode: string): string {
  const temp = `${path}.muster-new`;
  return `umask 077 && cat > ${shellQuote(temp)} && chmod ${mode} ${shellQuote(temp)} && mv -f ${shellQuote(temp)} ${shellQuote(path)}`;
}

/**
 * The job installing one host's agent (see the file comment). Over ssh: the session is
 * the host's SSH connection, the CA calls are local.
 */
export function installAgentJob(settings: InstallSettings): Job<InstallData> {
  return async (session, { target, signal }): Promise<JobResult<InstallData>> => {
    const host = settings.hosts.get(target.name);
    if (!host) return { status: 'failed', exitCode: null, stdout: '', stderr: '', message: `${target.name} is not in the inventory` };
    try {
      if (settings.deb) {
        const path = `/tmp/${settings.deb.name}`;
        await step(session, 'copying the package', writeFileLine(path, '644'), signal, settings.deb.bytes);
        await step(session, 'installing the package', `dpkg -i ${shellQuote(path)} >/dev/null && rm -f ${shellQuote(path)}`, signal);
      }
      const muster = hostMuster(settings);
      const enroll = [...muster, 'enroll', '--name', host.name, '--dir', settings.dir, '--servers', settings.servers.join(','),
        ...(host.roles.length > 0 ? ['--roles', host.roles.join(',')] : [])];
      const csr = await step(session, 'agent enroll', `${musterThereCheck(settings)}${shellJoin(enroll)}`, signal);
      if (!csr.includes('BEGIN CERTIFICATE REQUEST')) throw new StepError('agent enroll printed no CSR');

      const data = await certify(settings, host, csr);
      if (data.certificate === 'pending') {
        return { status: 'changed', exitCode: 0, stdout: '', stderr: '', data,
          message: `CSR pending (agents.autosign does not select ${host.name}): muster ca sign ${host.name}, then install again` };
      }
      // Signed now or by hand since: the brokers must know the user before the agent connects.
      await settings.refresh();
      const cert = await readFile(certificatePath(settings.stateDir, host.name), 'utf8');
      const ca = await readFile(caPaths(settings.stateDir).cert, 'utf8');
      await step(session, 'writing agent.crt', writeFileLine(`${settings.dir}/agent.crt`, '644'), signal, cert);
      await step(session, 'writing ca.crt', writeFileLine(`${settings.dir}/ca.crt`, '644'), signal, ca);
      data.started = await startAgent(session, settings, host, [...muster, 'run', '--dir', settings.dir], signal);
      return { status: 'changed', exitCode: 0, stdout: '', stderr: '', data,
        message: `agent ${data.certificate === 'signed' ? 'signed' : 'certificate kept'} (serial ${data.serial ?? '?'}), started (${data.started})` };
    } catch (error) {
      if (!(error instanceof MusterError) || signal.aborted) throw error;
      return { status: 'failed', exitCode: null, stdout: '', stderr: '', message: error.message };
    }
  };
}

function certificatePath(stateDir: string, name: string): string {
  return `${caPaths(stateDir).agents}/${name}.crt`;
}

/** Takes the CSR to a certificate (ca/certify.ts): signed when autosign selects the host; a key with an active certificate keeps it. */
async function certify(settings: InstallSettings, host: Host, csr: string): Promise<InstallData> {
  const certified = await certifyCsr(settings.stateDir, csr, {
    name: host.name, what: `the CSR of ${host.name}`, autosign: settings.autosign.has(host.name),
    hostNames: settings.hostNames, source: { via: 'ssh', address: host.address },
  });
  return certified.kind === 'pending' ? { certificate: 'pending' } : { certificate: certified.kind, serial: certified.record.serial };
}

/** Starts the agent on its host as `settings.start` says; resolves to how (`systemd`, `pid 1234`). */
async function startAgent(session: Session, settings: InstallSettings, host: Host, argv: string[], signal: AbortSignal): Promise<string> {
  switch (settings.start.kind) {
    case 'systemd':
      await step(session, 'starting the agent', 'systemctl enable muster-agent >/dev/null 2>&1 && systemctl restart muster-agent', signal);
      return 'systemd';
    case 'setsid': {
      // Stop an earlier one (a reinstall), then start detached: its own session, no terminal, stdio to its log.
      const line = [
        'pidfile=/run/muster-agent.pid',
        'if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null; rm -f "$pidfile"; fi',
        `setsid -f /bin/sh -c 'echo $$ > /run/muster-agent.pid; exec "$@"' muster-agent ${shellJoin(argv)} >>/var/log/muster-agent.log 2>&1 </dev/null`,
        // The pid file appears as soon as the forked shell runs; then the agent must still be alive.
        'for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$pidfile" ] && break; sleep 0.05; done',
        'sleep 0.3; pid=$(cat "$pidfile" 2>/dev/null)',
        'if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; else tail -n 2 /var/log/muster-agent.log >&2; exit 1; fi',
      ].join('\n');
      return `pid ${(await step(session, 'starting the agent', line, signal)).trim()}`;
    }
    case 'custom':
      return settings.start.start(host, argv);
  }
}

