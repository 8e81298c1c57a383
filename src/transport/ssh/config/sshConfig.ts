/**
 * What the ssh transport takes from ssh_config, resolved as OpenSSH 9.2 resolves it (checked
 * against `ssh -G` by the conformance suite, config/conformance.test.ts): the inventory's
 * `ssh_config` first, then `~/.ssh/config`, as if `ssh` read them one after the other; the
 * inventory's own address, user and port given the way `ssh -o HostName= -l -p` gives them.
 * Files are read and checked once per resolver (one operation), not once per host.
 * Where muster deliberately differs from `ssh`, docs/ssh-config.md says so.
 */
import { spawnSync } from 'node:child_process';
import { hostname as osHostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { MusterError } from '../../../core/errors.js';
import type { Target } from '../../types.js';
import { userShell } from '../proxyCommand.js';
import { commandLineLines } from './commandLine.js';
import { readConfigFile, type ConfigFile, type ConfigLine } from './configFile.js';
import { evaluateConfig, expandPlaced, type EvaluationContext, type RawOptions } from './evaluate.js';
import { clientTokens, expandForShell, percentExpand, tildeExpand, type ConnectionFacts } from './tokens.js';
import { parseHop } from './values.js';

/** `StrictHostKeyChecking`: `ask` (OpenSSH's default) is `yes` here, since muster never prompts. */
export type HostKeyPolicy = 'yes' | 'accept-new' | 'no';

/** Everything needed to open one connection, resolved for one target. */
export interface SshSettings {
  /** The inventory name (ssh_config `Host` patterns were matched against it). */
  name: string;
  /** The address connected to, and looked up in known_hosts. */
  host: string;
  port: number;
  user: string;
  /** Identity files to try, in order, `~`, `${VAR}` and tokens expanded, absolute. */
  identityFiles: string[];
  /** True when identityFiles are OpenSSH's defaults (missing ones are skipped silently). */
  defaultIdentities: boolean;
  identitiesOnly: boolean;
  /** `ProxyJump` hops, `[user@]host[:port]` (or `ssh://…`), first hop first; empty when none. */
  proxyJump: string[];
  /** `ProxyCommand` as written (quotes kept), tokens (%h %k %n %p %r %%) expanded; undefined when none. */
  proxyCommand: string | undefined;
  /** Where keys are looked up; the first one is where `accept-new` records. Empty for `none`. */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  hostKeyAlias: string | undefined;
  strictHostKeyChecking: HostKeyPolicy;
  connectTimeoutMs: number | undefined;
}

/** Where the resolver finds its files and who it resolves for; each is overridable for tests. */
export interface SshConfigOptions {
  /** `~/.ssh/config` by default (checked for safe permissions, as ssh does); `null` to ignore the user's file. */
  userConfig?: string | null;
  /**
   * The user's home as the password database has it: what `~` and `%d` are, and where the
   * default keys and known_hosts live. OpenSSH takes it from there, not from `$HOME`.
   */
  home?: string;
  /** Where `Include`'s `~` and relative paths point (glob(3) uses `$HOME`); default `home` if given, else `$HOME`. */
  includeHome?: string;
  localUser?: string;
  /** The current directory relative IdentityFile and UserKnownHostsFile paths are in, as for `ssh`. */
  cwd?: string;
  /** `ssh -o` options (`User=admin`), for every target but not its ProxyJump hops (ssh does not pass `-o` to them). */
  commandLine?: readonly string[];
}

/** OpenSSH 9.2's default identity files, in its order, leaving out the kinds ssh2 cannot use (sk, xmss). */
const DEFAULT_IDENTITIES = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ed25519', '~/.ssh/id_dsa'];
const DEFAULT_USER_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/**
 * Resolves targets against ssh_config files, caching each read file for the life of the
 * resolver. A file `ssh` would refuse raises `InvalidFileError` naming file:line:col.
 */
export class SshConfigResolver {
  private readonly files = new Map<string, ConfigFile | null | MusterError>();
  /** `Match exec` results by expanded command: one run per command per operation, not per host. */
  private readonly execResults = new Map<string, number | null>();
  private readonly home: string;
  private readonly includeHome: string;
  private readonly localUser: string;
  private readonly userConfig: string | null;
  private readonly cwd: string;
  private readonly context: Omit<EvaluationContext, 'name'>;
  private readonly commandLine: ConfigLine[];

  constructor(options: SshConfigOptions = {}) {
    const account = userInfo();
    this.home = options.home ?? account.homedir;
    this.includeHome = options.includeHome ?? options.home ?? process.env['HOME'] ?? account.homedir;
    this.localUser = options.localUser ?? account.username;
    this.userConfig = options.userConfig === undefined ? join(this.home, '.ssh', 'config') : options.userConfig;
    this.cwd = options.cwd ?? process.cwd();
    this.commandLine = commandLineLines(options.commandLine ?? []);
    this.context = {
      localUser: this.localUser,
      home: this.home,
      uid: account.uid,
      thisHost: osHostname(),
      exec: (command) => this.exec(command),
    };
  }

  /** Runs a `Match exec` command as ssh does: `$SHELL -c` (else /bin/sh), stdin and stdout on /dev/null. */
  private exec(command: string): number | null {
    if (!this.execResults.has(command)) {
      const shell = userShell();
      const run = spawnSync(shell, ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
      this.execResults.set(command, run.status);
    }
    return this.execResults.get(command) ?? null;
  }

  /** A file once per resolver, and its refusal once too: a bad line is not re-read for every host. */
  private read(path: string, checkPermissions: boolean): ConfigFile | null {
    if (!this.files.has(path)) {
      try {
        this.files.set(path, readConfigFile(path, { includeHome: this.includeHome, checkPermissions }));
      } catch (error) {
        if (!(error instanceof MusterError)) throw error;
        this.files.set(path, error);
      }
    }
    const file = this.files.get(path);
    if (file instanceof Error) throw file;
    return file ?? null;
  }

  private configFiles(sshConfig: string | undefined): ConfigFile[] {
    const files: (ConfigFile | null)[] = [];
    // The inventory's file is like `ssh -F FILE`: no permission check; the user's own is checked.
    if (sshConfig !== undefined) files.push(this.read(resolve(this.cwd, sshConfig), false));
    if (this.userConfig !== null) files.push(this.read(this.userConfig, true));
    return files.filter((file): file is ConfigFile => file !== null);
  }

  /**
   * Resolves one target. The `-o` options win, then the inventory's address, user and port,
   * then ssh_config, as OpenSSH decides. `hop`: a ProxyJump hop, which `-o` does not reach.
   */
  resolve(target: Target, hop = false): SshSettings {
    const name = target.name;
    const preset: Partial<RawOptions> = {};
    if (target.user !== undefined) preset.user = target.user;
    if (target.port !== undefined) preset.port = target.port;
    // An explicit inventory address is `-o HostName=ADDRESS`; an address that is just the name leaves HostName to ssh_config.
    if (target.address !== '' && target.address !== name) preset.hostname = { value: target.address, at: undefined };
    const { options, host } = evaluateConfig(this.configFiles(target.sshConfig), { ...this.context, name }, preset, hop ? [] : this.commandLine);
    const port = options.port ?? 22;
    const user = options.user ?? this.localUser;
    const facts: ConnectionFacts = {
      host, original: name, port, user, localUser: this.localUser, home: this.home,
      uid: this.context.uid, thisHost: this.context.thisHost, keyAlias: options.hostKeyAlias ?? name,
    };
    const tokens = clientTokens(facts);
    const path = (text: string): string => resolve(this.cwd, percentExpand(tildeExpand(text, this.home), tokens, { dollar: true }));

    const defaultIdentities = options.identityFiles.length === 0;
    const identityFiles = (defaultIdentities ? DEFAULT_IDENTITIES.map((value) => ({ value, at: undefined })) : options.identityFiles)
      .filter((file) => file.value.toLowerCase() !== 'none')
      .map((file) => expandPlaced(file, path));

    const userKnown = options.userKnownHostsFiles ?? { value: DEFAULT_USER_KNOWN_HOSTS, at: undefined };
    const userKnownHostsFiles = userKnown.value[0]?.toLowerCase() === 'none' ? [] : userKnown.value.map((file) => expandPlaced({ value: file, at: userKnown.at }, path));
    const globalKnown = options.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS;
    const globalKnownHostsFiles = globalKnown[0]?.toLowerCase() === 'none' ? [] : globalKnown.map((file) => resolve(this.cwd, tildeExpand(file, this.home)));

    const command = options.proxyCommand;
    const proxyCommand = command === undefined || command.value.toLowerCase() === 'none'
      ? undefined
      : expandPlaced(command, (text) => expandForShell(text, { h: host, k: options.hostKeyAlias ?? name, n: name, p: String(port), r: user }));
    const jump = options.proxyJump;
    const timeout = options.connectTimeout;
    return {
      name,
      host,
      port,
      user,
      identityFiles,
      defaultIdentities,
      identitiesOnly: options.identitiesOnly === true,
      proxyJump: jump === undefined || jump.toLowerCase() === 'none' ? [] : jump.split(','),
      proxyCommand,
      userKnownHostsFiles,
      globalKnownHostsFiles,
      hostKeyAlias: options.hostKeyAlias,
      strictHostKeyChecking: options.strictHostKeyChecking === 'accept-new' || options.strictHostKeyChecking === 'no' ? options.strictHostKeyChecking : 'yes',
      connectTimeoutMs: timeout === undefined || timeout <= 0 ? undefined : timeout * 1000,
    };
  }

  /**
   * Resolves one `ProxyJump` hop (`[user@]host[:port]` or `ssh://…`): the hop's own ssh_config
   * section applies, looked up by its host name, as `ssh -J` does. The inventory's ssh_config
   * is honoured for it too.
   */
  resolveHop(hop: string, sshConfig: string | undefined): SshSettings {
    const parsed = parseHop(hop) ?? { host: hop };
    const target: Target = { name: parsed.host, address: parsed.host };
    if (parsed.user !== undefined) target.user = parsed.user;
    if (parsed.port !== undefined) target.port = parsed.port;
    if (sshConfig !== undefined) target.sshConfig = sshConfig;
    return this.resolve(target, true);
  }
}
