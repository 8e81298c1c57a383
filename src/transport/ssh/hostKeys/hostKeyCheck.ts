/**
 * The host-key step of one connection: which key types to ask the server for, and the verdict
 * on the key it presents (known, unknown, changed, revoked), with the refusal's message. The
 * policy is OpenSSH's: StrictHostKeyChecking from ssh_config (muster never prompts, so `ask`
 * is `yes`), loosened to accept-new by the transport's `acceptNew`; a changed or revoked key
 * is refused whatever the policy.
 */
import { createHash } from 'node:crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import type { ConnectError } from '../../types.js';
import type { SshSettings } from '../config/sshConfig.js';
import type { Fail } from '../failure.js';
import { entryPlace, type KnownHosts, knownHostName } from './knownHosts.js';

/** The host key types muster asks for, in the order OpenSSH prefers them. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

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
  private readonly knownFiles: string[];
  private readonly recordUnknown: boolean;

  constructor(
    private readonly knownHosts: KnownHosts,
    private readonly settings: SshSettings,
    acceptNew: boolean,
    private readonly fail: Fail,
  ) {
    this.knownName = settings.hostKeyAlias ?? knownHostName(settings.host, settings.port);
    this.knownFiles = [...settings.userKnownHostsFiles, ...settings.globalKnownHostsFiles];
    this.recordUnknown = acceptNew || settings.strictHostKeyChecking !== 'yes';
    // Ask for a key type known_hosts has first, as OpenSSH does, so a known host is not "unknown".
    const knownTypes = knownHosts.knownTypes(this.knownFiles, this.knownName)
      .flatMap((type) => type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);
    const order = [...knownTypes.filter((t) => HOST_KEY_ALGORITHMS.includes(t)), ...HOST_KEY_ALGORITHMS];
    this.algorithms = [...new Set(order)] as ServerHostKeyAlgorithm[];
  }

  /** Judges the key the server presented (its SSH wire blob): true to go on, false once refused. */
  readonly verify = (blob: Buffer): boolean => {
    const { knownName, settings } = this;
    const keyType = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
    const key = blob.toString('base64');
    // Only messages need the fingerprint: computed on the refusal paths alone.
    const fingerprint = (): string => `${keyType} SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    const verdict = this.knownHosts.verify(this.knownFiles, knownName, keyType, key);
    switch (verdict.status) {
      case 'known':
        return true;
      case 'revoked':
        return this.refuse(`host key for ${knownName} (${fingerprint()}) is marked @revoked `
          + `in ${entryPlace(verdict.entry)}; refusing to connect`);
      case 'changed':
        return this.refuse(`host key for ${knownName} has CHANGED: it presented ${fingerprint()}, `
          + `but ${entryPlace(verdict.entry)} holds a different ${verdict.entry.keyType} key; refusing to connect `
          + `(possible man-in-the-middle; if the host was reinstalled, remove that line: ssh-keygen -R '${knownName}' -f ${verdict.entry.file})`);
      case 'unknown': {
        if (this.recordUnknown) {
          const file = settings.userKnownHostsFiles[0];
          if (file !== undefined) this.knownHosts.record(file, knownName, keyType, key);
          return true;
        }
        const others = verdict.otherTypes.length > 0 ? ` (known_hosts has only ${verdict.otherTypes.join(', ')} for it)` : '';
        return this.refuse(`host key for ${knownName} (${fingerprint()}) is not in known_hosts `
          + `(${settings.userKnownHostsFiles.join(', ')})${others}; verify it and add it, or rerun with --accept-new`);
      }
    }
  };

  private refuse(message: string): false {
    this.refusal = this.fail('hostkey', message);
    return false;
  }
}
