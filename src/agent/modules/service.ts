/**
 * `service`: status, reload and restart of one systemd unit through `systemctl`. A host that
 * does not run systemd (no /run/systemd/system, as sd_booted() checks) answers `unsupported`
 * for every action rather than guessing at another init system. The name is checked before
 * it reaches systemctl (unit-name characters only, no leading `-`), and systemctl is run with
 * an argument array, never a shell.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { action, ModuleError, type ActionContext, type AgentModule } from '../module.js';

/** What systemd accepts in a unit name (systemd.unit(5)), without a leading `-` (an option to systemctl). */
const unitName = z.string().regex(/^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]{0,254}$/, 'a systemd unit name');

/** Whether this host runs systemd (`/run/systemd/system` exists). The folder is an argument for tests. */
export function systemdRunning(marker = '/run/systemd/system'): boolean {
  return existsSync(marker);
}

function systemctl(args: string[], signal: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    execFile('systemctl', args, { signal, timeout: 60_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (error as NodeJS.ErrnoException & { code?: unknown }).code : 0;
      if (error && typeof code !== 'number') reject(new ModuleError('failed', `systemctl could not run: ${error.message}`));
      else done({ code: typeof code === 'number' ? code : 0, stdout, stderr });
    });
  });
}

function needSystemd(host: string): void {
  if (!systemdRunning()) throw new ModuleError('unsupported', `${host} does not run systemd (no /run/systemd/system): the service module cannot manage services here`);
}

const nameArgs = z.object({ name: unitName });

async function status(name: string, context: ActionContext): Promise<unknown> {
  needSystemd(context.host);
  const active = await systemctl(['is-active', '--', name], context.signal);
  const shown = await systemctl(['show', '--property=LoadState,ActiveState,SubState,MainPID,UnitFileState', '--', name], context.signal);
  const props: Record<string, string> = {};
  for (const line of shown.stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) props[line.slice(0, at)] = line.slice(at + 1);
  }
  return { name, active: active.stdout.trim(), load: props['LoadState'] ?? null, sub: props['SubState'] ?? null, mainPid: Number(props['MainPID'] ?? 0) || null, enabled: props['UnitFileState'] || null };
}

async function change(verb: 'reload' | 'restart', name: string, context: ActionContext): Promise<unknown> {
  needSystemd(context.host);
  const ran = await systemctl([verb, '--', name], context.signal);
  if (ran.code !== 0) throw new ModuleError('failed', `systemctl ${verb} ${name} failed (exit ${ran.code}): ${ran.stderr.trim().split('\n')[0] ?? ''}`);
  return status(name, context);
}

/** The `service` module: `status`, `reload`, `restart`, each `{ name }` → `{ name, active, load, sub, mainPid, enabled }`. */
export const serviceModule = {
  name: 'service',
  actions: {
    status: action(nameArgs, (args, context) => status(args.name, context)),
    reload: action(nameArgs, (args, context) => change('reload', args.name, context)),
    restart: action(nameArgs, (args, context) => change('restart', args.name, context)),
  },
} satisfies AgentModule;
