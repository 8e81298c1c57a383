/**
 * The key field of a known_hosts line (`TYPE BASE64`), judged as OpenSSH's `sshkey_read` does:
 * a line whose key does not parse is skipped, so it can neither accept a host nor make its key
 * "changed". Parsing is the dependency's (ssh2's `parseKey`); it costs ~50 µs a key, so callers
 * parse only the lines that name a host being looked up, never a whole file.
 */
import ssh2 from 'ssh2';

// ssh2 is CommonJS: its named exports are reached through the default export.
const { utils } = ssh2;

/** Key types ssh2 cannot parse but OpenSSH 9.2 reads (security keys, certificates): their blob's type is checked alone. */
const OPAQUE_TYPE = /^sk-|-cert-v01@openssh\.com$/;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key type names OpenSSH 9.2 reads in known_hosts (its `sshkey_type_from_name`); a line of another type is no line at all. */
const OPENSSH_KEY_TYPES = new Set([
  'ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
].flatMap((type) => [type, type.replace(/(@openssh\.com)?$/, '-cert-v01@openssh.com')]));

/** Whether OpenSSH knows `keyType` (so `ssh-keygen -F` lists the line), whether or not its key parses. */
export function isOpenSshKeyType(keyType: string): boolean {
  return OPENSSH_KEY_TYPES.has(keyType);
}

/** The type named inside an SSH wire blob (its first string), or undefined when it has none. */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || 4 + length > blob.length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/**
 * The key of a known_hosts line as its wire blob, or undefined when OpenSSH would skip the
 * line: bad base64, a type it does not know, or a blob of another type than the field says.
 */
export function parsePublicKey(keyType: string, base64: string): Buffer | undefined {
  if (!isOpenSshKeyType(keyType) || !BASE64.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  if (blobKeyType(blob) !== keyType) return undefined;
  if (OPAQUE_TYPE.test(keyType)) return blob;
  const parsed = utils.parseKey(`${keyType} ${base64}`);
  return parsed instanceof Error ? undefined : blob;
}
