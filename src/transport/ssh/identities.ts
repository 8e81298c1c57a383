/**
 * What the ssh transport logs in with: ssh-agent, then the identity files, in OpenSSH's order.
 * Keys are read once per transport (one operation), however many hosts use them.
 */
import { readFileSync } from 'node:fs';
import ssh2, { type AuthMethod, type ParsedKey } from 'ssh2';
import type { SshSettings } from './config/sshConfig.js';
import { IdentityAgent } from './identityAgent.js';

// ssh2 is CommonJS: its named exports are reached through the default export.
const { utils } = ssh2;

/** The authentication methods for one host, and how to name each in a "permission denied". */
export interface AuthPlan {
  methods: AuthMethod[];
  tried: string[];
}

/** The agent and the parsed identity files of one transport instance. */
export class Identities {
  private readonly keys = new Map<string, ParsedKey | Error | null>();
  private readonly publicBlobs = new Map<string, string | undefined>();
  /** The ssh-agent socket, or undefined when there is none (unset, or disabled with null). */
  readonly agent: string | undefined;

  /** `agent`: a socket path; undefined means `$SSH_AUTH_SOCK`; null or '' means no agent. */
  constructor(agent: string | null | undefined) {
    const socket = agent === undefined ? process.env['SSH_AUTH_SOCK'] : agent;
    this.agent = socket === null || socket === '' ? undefined : socket;
  }

  /** Reads and parses an identity file once; null when it does not exist, an Error when it is unusable. */
  private key(file: string): ParsedKey | Error | null {
    if (this.keys.has(file)) return this.keys.get(file) ?? null;
    let key: ParsedKey | Error | null;
    try {
      const parsed = utils.parseKey(readFileSync(file));
      key = parsed instanceof Error ? parsed : Array.isArray(parsed) ? (parsed[0] ?? null) : parsed;
    } catch (error) {
      key = (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : (error as Error);
    }
    this.keys.set(file, key);
    return key;
  }

  /**
   * The public half of an identity file, base64: from the key itself, or from `FILE.pub` when the
   * key is encrypted (as OpenSSH does), so its agent copy can be recognised. Cached.
   */
  private publicBlob(file: string): string | undefined {
    if (this.publicBlobs.has(file)) return this.publicBlobs.get(file);
    let blob: string | undefined;
    const key = this.key(file);
    if (key !== null && !(key instanceof Error)) {
      blob = key.getPublicSSH().toString('base64');
    } else {
      try {
        const parsed = utils.parseKey(readFileSync(`${file}.pub`));
        const pub = Array.isArray(parsed) ? parsed[0] : parsed;
        if (pub !== undefined && !(pub instanceof Error)) blob = pub.getPublicSSH().toString('base64');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.publicBlobs.set(file, blob);
    return blob;
  }

  /**
   * The authentication methods for one host, in OpenSSH's order: agent, then identity files.
   * With IdentitiesOnly the agent offers only the identity files' own keys.
   */
  authMethods(settings: SshSettings): AuthPlan {
    const methods: AuthMethod[] = [];
    const tried: string[] = [];
    const username = settings.user;
    if (this.agent !== undefined && !settings.identitiesOnly) {
      methods.push({ type: 'agent', username, agent: this.agent } as AuthMethod);
      tried.push('ssh-agent');
    } else if (this.agent !== undefined) {
      const allowed = new Set(settings.identityFiles.map((file) => this.publicBlob(file)).filter((blob) => blob !== undefined));
      if (allowed.size > 0) {
        methods.push({ type: 'agent', username, agent: new IdentityAgent(this.agent, allowed) } as AuthMethod);
        tried.push('ssh-agent (identity files\' keys only)');
      }
    }
    for (const file of settings.identityFiles) {
      const key = this.key(file);
      if (key === null || key instanceof Error) continue;
      methods.push({ type: 'publickey', username, key } as AuthMethod);
      tried.push(file);
    }
    return { methods, tried };
  }

  /** Why `authMethods` found nothing to offer `where`, as the `auth` failure says it. */
  noIdentity(settings: SshSettings, where: string): string {
    const agentNote = this.agent === undefined ? 'no ssh-agent (SSH_AUTH_SOCK unset)' : 'IdentitiesOnly set';
    // `IdentityFile none` (and nothing after it) leaves no file at all, as in OpenSSH.
    if (settings.identityFiles.length === 0) return `no identity to log in to ${where}: ${agentNote}, and IdentityFile none`;
    return `no identity to log in to ${where}: ${agentNote}, and none of `
      + `${settings.identityFiles.join(', ')} is a readable unencrypted key`;
  }
}
