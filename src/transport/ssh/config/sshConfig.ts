/**
 * What the ssh transport takes from ssh_config: the inventory's `ssh_config` first, then
 * `~/.ssh/config` (first value wins, as with OpenSSH), then the inventory's own user/port
 * over both. Files are read and parsed once per resolver (one operation), not once per host.
 */
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { shellQuote } from '../../../core/shell.js';
import type { Target } from '../../types.js';
import { computeCompiled, loadConfigFile, type CompiledConfig } from './configFile.js';

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
  /** Identity files to try, in order, `~` and tokens expanded. */
  identityFiles: string[];
  /** True when identityFiles are OpenSSH's defaults (missing ones are skipped silently). */
  defaultIdentities: boolean;
  identitiesOnly: boolean;
  /** `ProxyJump` hops, `[user@]host[:port]`, first hop first; empty when none. */
  proxyJump: string[];
  /** `ProxyCommand`, tokens (%h %p %r %n %%) expanded; used when there is no ProxyJump. */
  proxyCommand: string | undefined;
  /** Where keys are looked up; the first one is where `accept-new` records. */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  hostKeyAlias: string | undefined;
  strictHostKeyChecking: HostKeyPolicy;
  connectTimeoutMs: number | undefined;
}

/** The raw values of one file's computed section, with the folder relative paths are resolved in. */
interface ComputedConfig {
  values: Record<string, string | string[]>;
  baseDir: string;
}

/** Where the resolver finds its files; both are overridable for tests. */
export interface SshConfigOptions {
  /** `~/.ssh/config` by default; `null` to ignore the user's file. */
  userConfig?: string | null;
  home?: string;
  localUser?: string;
}

/**
 * Resolves targets against ssh_config files, caching each parsed file for the life of the
 * resolver. Unparseable files raise `InvalidFileError`; missing ones are simply absent.
 */
export class SshConfigResolver {
  private readonly parsed = new Map<string, CompiledConfig | null>();
  private readonly home: string;
  private readonly localUser: string;
  private readonly userConfig: string | null;

  constructor(options: SshConfigOptions = {}) {
    this.home = options.home ?? homedir();
    this.localUser = options.localUser ?? userInfo().username;
    this.userConfig = options.userConfig === undefined ? join(this.home, '.ssh', 'config') : options.userConfig;
  }

  private parse(file: string): CompiledConfig | null {
    if (!this.parsed.has(file)) this.parsed.set(file, loadConfigFile(file, this.home));
    return this.parsed.get(file) ?? null;
  }

  private computeAll(name: string, sshConfig: string | undefined): ComputedConfig[] {
    const files: { file: string; baseDir: string }[] = [];
    if (sshConfig !== undefined) files.push({ file: resolve(sshConfig), baseDir: dirname(resolve(sshConfig)) });
    if (this.userConfig !== null) files.push({ file: this.userConfig, baseDir: this.home });
    const computed: ComputedConfig[] = [];
    for (const { file, baseDir } of files) {
      const config = this.parse(file);
      if (config) computed.push({ values: computeCompiled(config, name), baseDir });
    }
    return computed;
  }

  /** Resolves one target. Inventory user/port win over ssh_config; the rest follows OpenSSH's defaults. */
  resolve(target: Target): SshSettings {
    const computed = this.computeAll(target.name, target.sshConfig);
    const first = (key: string): string | undefined => {
      for (const { values } of computed) {
        const value = values[key];
        const text = Array.isArray(value) ? value.join(' ') : value;
        if (text !== undefined && text !== '') return text;
      }
      return undefined;
    };
    const name = target.name;
    const hostName = first('hostname');
    // An explicit inventory address wins; HostName applies only when the address is just the name.
    const host = target.address !== '' && target.address !== name
      ? target.address
      : hostName !== undefined ? hostName.replaceAll('%h', name) : target.address || name;
    const port = target.port ?? parsePort(first('port')) ?? 22;
    const user = target.user ?? first('user') ?? this.localUser;
    const expand = (path: string, baseDir: string): string => {
      const replaced = path
        .replace(/^~(?=\/|$)/, this.home)
        .replace(/%[%dhupr]/g, (token) => ({
          '%%': '%', '%d': this.home, '%h': host, '%u': this.localUser, '%p': String(port), '%r': user,
        })[token] ?? token);
      return isAbsolute(replaced) ? replaced : resolve(baseDir, replaced);
    };
    // IdentityFile accumulates over every file, as in OpenSSH; the other keys take the first value.
    const identityFiles: string[] = [];
    for (const { values, baseDir } of computed) {
      const value = values['identityfile'];
      for (const file of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
        if (file.toLowerCase() !== 'none') identityFiles.push(expand(file, baseDir));
      }
    }
    const defaultIdentities = identityFiles.length === 0;
    if (defaultIdentities) {
      for (const file of ['id_ed25519', 'id_ecdsa', 'id_rsa']) identityFiles.push(join(this.home, '.ssh', file));
    }
    const knownHosts = (key: string, fallback: string[]): string[] => {
      for (const { values, baseDir } of computed) {
        const value = values[key];
        if (value === undefined) continue;
        const list = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');
        if (list.length > 0) return list.map((file) => expand(file, baseDir));
      }
      return fallback;
    };
    const jump = first('proxyjump');
    const proxyCommand = first('proxycommand');
    return {
      name,
      host,
      port,
      user,
      identityFiles,
      defaultIdentities,
      identitiesOnly: yes(first('identitiesonly')),
      proxyJump: jump === undefined || jump.toLowerCase() === 'none' ? [] : jump.split(',').map((hop) => hop.trim()),
      proxyCommand: proxyCommand === undefined || proxyCommand.toLowerCase() === 'none'
        ? undefined
        // The command runs under `sh -c`: each substituted value is one quoted word, so a
        // host or user name can never add shell syntax (OpenSSH 9.2 pastes them as they are).
        : proxyCommand.replace(/%[%hprn]/g, (token) => ({
          '%%': '%', '%h': shellQuote(host), '%p': String(port), '%r': shellQuote(user), '%n': shellQuote(name),
        })[token] ?? token),
      userKnownHostsFiles: knownHosts('userknownhostsfile', [
        join(this.home, '.ssh', 'known_hosts'), join(this.home, '.ssh', 'known_hosts2'),
      ]),
      globalKnownHostsFiles: knownHosts('globalknownhostsfile', ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
      hostKeyAlias: first('hostkeyalias'),
      strictHostKeyChecking: hostKeyPolicy(first('stricthostkeychecking')),
      connectTimeoutMs: parseSeconds(first('connecttimeout')),
    };
  }

  /**
   * Resolves one `ProxyJump` hop (`[user@]host[:port]`): the hop's own ssh_config section applies,
   * looked up by its host name, as `ssh -J` does. The inventory's ssh_config is honoured for it too.
   */
  resolveHop(hop: string, sshConfig: string | undefined): SshSettings {
    const match = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop);
    const hopHost = (match?.[2] ?? hop).replace(/^\[|\]$/g, '');
    const target: Target = { name: hopHost, address: hopHost };
    if (match?.[1] !== undefined) target.user = match[1];
    const port = parsePort(match?.[3]);
    if (port !== undefined) target.port = port;
    if (sshConfig !== undefined) target.sshConfig = sshConfig;
    return this.resolve(target);
  }
}

function yes(value: string | undefined): boolean {
  return value !== undefined && ['yes', 'true'].includes(value.toLowerCase());
}

function hostKeyPolicy(value: string | undefined): HostKeyPolicy {
  switch (value?.toLowerCase()) {
    case 'accept-new':
      return 'accept-new';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    default:
      return 'yes';
  }
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const port = Number(value);
  return port > 0 && port < 65536 ? port : undefined;
}

function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value) * 1000;
}
