/**
 * The host-key step of one connection: which key types to ask the server for, and the verdict
 * on the key it presents (known, unknown, changed, revoked), with the refusal's message. The
 * policy is OpenSSH's: StrictHostKeyChecking from ssh_config (muster never prompts, so `ask`
 * is `yes`), loosened to accept-new by the transport's `acceptNew`; a changed or revoked key
 * is refused whatever the policy (OpenSSH's `no` goes on after a changed key, muster does not).
 */
import { createHash } from 'node:crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { shellJoin } from '../../../core/shell.js';
import type { ConnectError } from '../../types.js';
import type { SshSettings } from '../config/sshConfig.js';
import type { Fail } from '../failure.js';
import { HostKeyError } from './hostKeyError.js';
import { entryPlace, type HostKeyVerdict, type KnownHosts, knownHostName } from './knownHosts.js';
import { blobKeyType } from './publicKey.js';

/** The host key types muster asks for, in the order OpenSSH prefers them. */
const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

/** The key type an algorithm asks for: RSA keys are `ssh-rsa` whichever signature (rsa-sha2-256/512) is negotiated. */
function keyTypeOf(algorithm: string): string {
  return algorithm.startsWith('rsa-sha2-') ? 'ssh-rsa' : algorithm;
}

/**
 * The algorithms to offer: those whose key type known_hosts holds for the host first, then the
 * rest, each part in the default order — OpenSSH's `order_hostkeyalgs`. Since any other key than
 * a known one is "changed", a server holding the known key must be asked for it.
 */
export function hostKeyAlgorithms(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const known = HOST_KEY_ALGORITHMS.filter((algorithm) => knownTypes.includes(keyTypeOf(algorithm)));
  return [...known, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !known.includes(algorithm))];
}

/**
 * The host-key step of one connection (the hop being connected to), handed to ssh2:
 * `algorithms` for the key exchange, `verify` as its `hostVerifier`. `acceptNew` is the
 * transport's option: unknown keys are then recorded in the first UserKnownHostsFile.
 */
export class HostKeyCheck {
  /** The key types to offer, known_hosts' own types first. */
  readonly algorithms: ServerHostKeyAlgorithm[];
  /** Why `verify` refused, once it has. */
  refusal: ConnectError | undefined;
  private readonly knownName: string;
  /** The port-less name looked up when `[host]:port` has no line (not with HostKeyAlias, as in OpenSSH). */
  private readonly portless: string | undefined;
  private readonly knownFiles: string[];
  private readonly recordUnknown: boolean;

  constructor(
    private readonly knownHosts: KnownHosts,
    private readonly settings: SshSettings,
    acceptNew: boolean,
    private readonly fail: Fail,
  ) {
    // OpenSSH lowercases the host name and HostKeyAlias before looking them up.
    this.knownName = (settings.hostKeyAlias ?? knownHostName(settings.host, settings.port)).toLowerCase();
    this.portless = settings.hostKeyAlias === undefined && settings.port !== 22 ? settings.host.toLowerCase() : undefined;
    this.knownFiles = [...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles];
    this.recordUnknown = acceptNew || settings.strictHostKeyChecking !== 'yes';
    this.algorithms = hostKeyAlgorithms(knownHosts.knownTypes(this.knownFiles, this.knownName));
  }

  /**
   * Judges the key the server presented (its SSH wire blob) and calls `done` with true to go on,
   * false once refused (`refusal` says why). Recording a new key waits for a file lock, hence the callback.
   */
  readonly verify = (blob: Buffer, done: (accept: boolean) => void): void => {
    const verdict = this.knownHosts.verify(this.knownFiles, this.knownName, blob, this.portless);
    const file = this.settings.userKnownHostsFiles[0];
    if (verdict.status !== 'unknown' || !this.recordUnknown || file === undefined) {
      done(this.judged(verdict, blob));
      return;
    }
    this.knownHosts.accept(this.knownFiles, file, this.knownName, blob, this.portless).then(
      // Another process may have recorded a key for the host meanwhile: judged again, under the lock.
      (recorded) => done(this.judged(recorded, blob)),
      (error: unknown) => {
        const why = error instanceof Error ? error.message : String(error);
        this.refusal = this.fail('hostkey', `cannot record the host key of ${this.knownName} in ${file}: ${why}`, error);
        done(false);
      },
    );
  };

  /** True for a key to go on with; otherwise sets `refusal` and returns false. */
  private judged(verdict: HostKeyVerdict, blob: Buffer): boolean {
    const { knownName } = this;
    // Only messages need the fingerprint: computed on the refusal paths alone.
    const fingerprint = (): string => `${blobKeyType(blob) ?? 'unknown'} SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    switch (verdict.status) {
      case 'known':
        return true;
      case 'revoked':
        return this.refuse(`host key for ${knownName} (${fingerprint()}) is marked @revoked `
          + `in ${entryPlace(verdict.entry)}; refusing to connect`);
      case 'changed':
        return this.refuse(`host key for ${knownName} has CHANGED: it presented ${fingerprint()}, `
          + `but ${entryPlace(verdict.entry)} holds a different ${verdict.entry.keyType} key for it; refusing to connect `
          + `(possible man-in-the-middle; if the host was reinstalled, remove that line: ${shellJoin(['ssh-keygen', '-R', knownName, '-f', verdict.entry.file])})`);
      case 'unknown': {
        // Only reached when recording is asked for if there is no file to record in (UserKnownHostsFile none).
        if (this.recordUnknown) return this.refuse(`host key for ${knownName} (${fingerprint()}) is not known and cannot be recorded: there is no UserKnownHostsFile`);
        const files = this.settings.userKnownHostsFiles.join(', ') || 'UserKnownHostsFile none';
        const message = `host key for ${knownName} (${fingerprint()}) is not in known_hosts (${files}); verify it and add it`;
        this.refusal = new HostKeyError(this.fail('hostkey', message), (name) => `${message}, or rerun with ${name('acceptNew')} to record it`);
        return false;
      }
    }
  }

  private refuse(message: string): false {
    this.refusal = this.fail('hostkey', message);
    return false;
  }
}
