/**
 * A throwaway OpenSSH sshd on loopback addresses (127.0.0.1 by default) and a free port, for the host-key tests: host keys the
 * test generated, root logins by one client key, no PAM or DNS. `/usr/sbin/sshd -D -e` as a child
 * of the test process, stopped by `stop()` (and with it, since -D keeps it in the foreground).
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';

/** Why these tests cannot run here (not root, no sshd or ssh), or undefined when they can. */
export function sshdUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (sshd must read its host keys and log in as root)';
  try {
    accessSync(SSHD, constants.X_OK);
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
  } catch {
    return `needs OpenSSH's ${SSHD} and ssh (the openssh-server and openssh-client packages)`;
  }
  return undefined;
}

/** Generates a key pair `dir/name` with ssh-keygen; returns the public key as `TYPE BASE64`. */
export function keygen(dir: string, name: string, type: string): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** A free TCP port on 127.0.0.1 (free when asked: the caller binds it soon after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Sshd {
  port: number;
  stop(): Promise<void>;
}

/** What sshd is started with. */
export interface SshdOptions {
  /** Private host key files. */
  hostKeys: string[];
  /** HostCertificate files. */
  certificates?: string[];
  /** The authorized_keys file for root. */
  authorizedKeys: string;
  /** Loopback addresses to listen on, all on the same port; default 127.0.0.1. */
  addresses?: string[];
}

/** Starts sshd (its config named `dir/name.sshd_config`); resolves once it listens. */
export async function startSshd(dir: string, name: string, options: SshdOptions): Promise<Sshd> {
  const { hostKeys, certificates = [], authorizedKeys, addresses = ['127.0.0.1'] } = options;
  mkdirSync('/run/sshd', { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(dir, `${name}.sshd_config`);
    writeFileSync(config, [
      ...addresses.map((address) => `ListenAddress ${address}:${port}`),
      ...hostKeys.map((key) => `HostKey ${key}`),
      ...certificates.map((cert) => `HostCertificate ${cert}`),
      'PidFile none',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'UseDNS no',
      'StrictModes no',
      'MaxStartups 100',
      // Sessions run root's shell: with this machine's HOME its rc files (pyenv, …) would run, slowly, every time.
      `SetEnv HOME=${dir}`,
      '',
    ].join('\n'));
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    const listening = await new Promise<boolean>((resolve) => {
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('Server listening')) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    if (listening) {
      return {
        port,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (attempt === 3) throw new Error(`sshd ${name} did not start on ${addresses.join(', ')} (three ports tried)`);
  }
}
