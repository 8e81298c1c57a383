/**
 * What a lab needs from the machine — root, OpenSSH's sshd, util-linux's unshare
 * and nsenter, overlayfs — checked before anything is made, with one clear line
 * when something is missing. sshd is installed with apt-get when we are root.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { EnvironmentError } from '../core/errors.js';

const run = promisify(execFile);

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') return false;
    throw error;
  }
}

/** Why the lab cannot run here, or undefined when it can (without installing anything). */
export async function labUnavailableReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `muster lab needs Linux (namespaces and overlayfs); this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'muster lab needs root: it creates namespaces and mounts (run it as root, e.g. with sudo)';
  if (!(await executable('/usr/sbin/sshd'))) return 'muster lab needs OpenSSH\'s sshd (/usr/sbin/sshd): install the openssh-server package';
  for (const tool of ['/usr/bin/unshare', '/usr/bin/nsenter']) {
    if (!(await executable(tool))) return `muster lab needs ${tool}: install the util-linux package`;
  }
  return undefined;
}

/**
 * Makes sure the lab can run: root, and sshd present (installed with apt-get when
 * missing and we are root). Throws EnvironmentError with what is wrong otherwise.
 */
export async function ensureLabEnvironment(options: { signal?: AbortSignal } = {}): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    const reason = await labUnavailableReason();
    throw new EnvironmentError(reason ?? 'muster lab needs root on Linux');
  }
  if (!(await executable('/usr/sbin/sshd'))) {
    if (!(await executable('/usr/bin/apt-get'))) {
      throw new EnvironmentError('muster lab needs OpenSSH\'s sshd (/usr/sbin/sshd) and there is no apt-get to install it: install openssh-server');
    }
    process.stderr.write('muster lab: sshd is missing; installing openssh-server with apt-get\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'openssh-server'], { env, signal: options.signal, maxBuffer: 64 << 20 });
    } catch (error) {
      throw new EnvironmentError(`muster lab needs openssh-server, and \`apt-get install -y openssh-server\` failed: ${(error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? String(error)}`, { cause: error });
    }
  }
  const reason = await labUnavailableReason();
  if (reason) throw new EnvironmentError(reason);
}
