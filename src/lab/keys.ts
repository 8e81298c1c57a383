/**
 * Ed25519 key pairs in OpenSSH's own formats, made in-process. A lab of 100 hosts
 * needs 101 keys; spawning `ssh-keygen` for each would cost more than booting the
 * hosts, while Node's crypto makes one in well under a millisecond.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** A key pair: the private key as an `OPENSSH PRIVATE KEY` file, the public key as one `ssh-ed25519 …` line. */
export interface SshKeyPair {
  privateKey: string;
  /** `ssh-ed25519 BASE64 comment`, without a newline. */
  publicKey: string;
  /** The base64 public blob alone, as known_hosts and authorized_keys write it after the type. */
  publicBlob: string;
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/**
 * Makes a new ed25519 key pair, written exactly as `ssh-keygen -t ed25519 -N ''`
 * would write it (unencrypted openssh-key-v1), so sshd, OpenSSH and ssh2 all read it.
 */
export function ed25519KeyPair(comment: string): SshKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string') throw new Error('Node returned an ed25519 JWK without d/x');
  const seed = Buffer.from(jwk.d, 'base64url');
  const pub = Buffer.from(jwk.x, 'base64url');

  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  const unpadded = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  // The private section is padded with 1, 2, 3, … to the cipher block size (8 for "none").
  const padLength = (8 - (unpadded.length % 8)) % 8;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, index) => index + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}`,
    publicBlob: publicBlob.toString('base64'),
  };
}
