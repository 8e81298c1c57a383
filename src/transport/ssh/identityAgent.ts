/**
 * ssh-agent restricted to some keys: what `IdentitiesOnly yes` means for the agent in OpenSSH.
 * Only agent keys whose public half matches one of the host's identity files are offered, so an
 * encrypted IdentityFile whose key is loaded in the agent still works, and no other agent key
 * is tried (servers count every offered key against MaxAuthTries).
 */
import ssh2, { type IdentityCallback, type ParsedKey, type SignCallback, type SigningRequestOptions } from 'ssh2';

const { BaseAgent, OpenSSHAgent } = ssh2;

/** An agent that lists only the keys whose SSH public blob (base64) is in `allowed`. */
export class IdentityAgent extends BaseAgent<ParsedKey> {
  private readonly inner: InstanceType<typeof OpenSSHAgent>;

  constructor(socketPath: string, private readonly allowed: ReadonlySet<string>) {
    super();
    this.inner = new OpenSSHAgent(socketPath);
  }

  getIdentities(cb: IdentityCallback<ParsedKey>): void {
    this.inner.getIdentities((error, keys) => {
      if (error) cb(error);
      else cb(undefined, (keys ?? []).filter((key): key is ParsedKey => 'getPublicSSH' in key && this.allowed.has(key.getPublicSSH().toString('base64'))));
    });
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof options === 'function') this.inner.sign(pubKey, data, options);
    else this.inner.sign(pubKey, data, options, cb);
  }
}
