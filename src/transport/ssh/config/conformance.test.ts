/**
 * The ssh_config conformance suite: every file of testdata/corpus is resolved by muster and by
 * the system's OpenSSH, at test time, for each host its header names, and compared field by
 * field for the fields muster uses. `ssh -G` gives most fields; identity files and the
 * ProxyCommand are compared with what a real `ssh -v` run logs, because `ssh -G` prints
 * those before expanding their tokens. A file whose header says `# error: LINE` must be
 * refused by both, each naming that line.
 *
 * HOME is a temporary folder holding testdata/home (the files corpus Includes find under
 * `~/.ssh`); `~` and `%d` are the password database's home, for ssh and muster alike.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidFileError } from '../../../core/errors.js';
import { SshConfigResolver, type SshSettings } from './sshConfig.js';
import { parseHop } from './values.js';

const run = promisify(execFile);
const testdata = fileURLToPath(new URL('../../../../src/transport/ssh/config/testdata/', import.meta.url));
const corpus = join(testdata, 'corpus');

let home: string;
let cwd: string;

before(() => {
  home = mkdtempSync(join(tmpdir(), 'muster-conformance-'));
  cpSync(join(testdata, 'home'), home, { recursive: true });
  cwd = join(home, 'cwd');
  mkdirSync(cwd);
  // ssh and muster see the same environment: Include's `~`, ${VAR} and Match exec's shell.
  process.env['HOME'] = home;
  process.env['SHELL'] = '/bin/sh';
  process.env['MUSTER_CORPUS_VAR'] = 'from-env';
});
after(() => rmSync(home, { recursive: true, force: true }));

interface Case {
  file: string;
  hosts: string[];
  /** `# error: [FILE:]LINE`: the line both must refuse, in this file or the included FILE. */
  error: { file: string; line: number } | undefined;
}

function cases(): Case[] {
  return readdirSync(corpus).filter((name) => name.endsWith('.conf')).sort().map((name) => {
    const file = join(corpus, name);
    const text = readFileSync(file, 'utf8');
    const hosts = /^# hosts: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
    const error = /^# error: (?:(\S+):)?(\d+)$/m.exec(text);
    return { file, hosts, error: error === null ? undefined : { file: error[1] ?? name, line: Number(error[2]) } };
  });
}

function resolver(): SshConfigResolver {
  return new SshConfigResolver({ userConfig: null, home: userInfo().homedir, includeHome: home, cwd });
}

/** `ssh -G` output as keyword → values (one entry per line, so repeated keywords keep their order). */
async function sshG(file: string, host: string): Promise<Map<string, string[]>> {
  const { stdout } = await run('ssh', ['-G', '-F', file, host], { cwd });
  const fields = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space === -1) continue;
    const key = line.slice(0, space);
    fields.set(key, [...(fields.get(key) ?? []), line.slice(space + 1)]);
  }
  return fields;
}

/**
 * What a real `ssh -v` logs before it logs in: the identity files it loads (tokens expanded)
 * and the ProxyCommand it runs. A host without a ProxyCommand gets `false` as one, so
 * nothing leaves this machine; the corpus's own ProxyCommands run nothing either.
 */
async function sshV(file: string, host: string, ownProxy: boolean): Promise<{ identities: string[]; proxy: string | undefined }> {
  const args = ['-v', '-F', file, '-o', 'BatchMode=yes', ...(ownProxy ? [] : ['-o', 'ProxyCommand=false']), host, 'true'];
  const stderr = await run('ssh', args, { cwd }).then((r) => r.stderr, (error: { stderr?: string }) => error.stderr ?? '');
  const loaded = [...stderr.matchAll(/^debug1: identity file (.*) type -?\d+$/gm)].map((m) => m[1] ?? '');
  // Each identity file is followed by its "-cert" companion.
  const identities = loaded.filter((path, index) => !(path.endsWith('-cert') && loaded[index - 1] === path.slice(0, -5)));
  const proxy = /^debug1: Executing proxy command: exec (.*)$/m.exec(stderr)?.[1];
  return { identities, proxy };
}

/** A ProxyJump list in one spelling (ssh -G brackets numeric hosts and drops `ssh://`). */
function hops(spec: string): string {
  return spec.split(',').map((hop) => {
    const parsed = parseHop(hop);
    return parsed === undefined ? `bad:${hop}` : `${parsed.user ?? ''}@${parsed.host}:${parsed.port ?? ''}`;
  }).join(',');
}

const STRICT: Readonly<Record<string, SshSettings['strictHostKeyChecking']>> = { true: 'yes', ask: 'yes', false: 'no', 'accept-new': 'accept-new' };

async function compare(file: string, host: string): Promise<void> {
  const ours = resolver().resolve({ name: host, address: host, sshConfig: file });
  const g = await sshG(file, host);
  const one = (key: string): string => g.get(key)?.[0] ?? '';
  const what = `${file.split('/').pop()} ${host}`;
  assert.equal(ours.host, one('hostname'), `${what}: hostname`);
  assert.equal(ours.user, one('user'), `${what}: user`);
  assert.equal(String(ours.port), one('port'), `${what}: port`);
  assert.equal(ours.identitiesOnly ? 'yes' : 'no', one('identitiesonly'), `${what}: identitiesonly`);
  assert.equal(ours.strictHostKeyChecking, STRICT[one('stricthostkeychecking')], `${what}: stricthostkeychecking`);
  assert.equal(ours.connectTimeoutMs === undefined ? 'none' : String(ours.connectTimeoutMs / 1000), one('connecttimeout'), `${what}: connecttimeout`);
  assert.equal(ours.hostKeyAlias, g.get('hostkeyalias')?.[0], `${what}: hostkeyalias`);
  // ssh -G joins the files with spaces (a path may hold one) and leaves relative ones relative.
  const relative = (path: string): string => path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
  assert.equal(ours.userKnownHostsFiles.map(relative).join(' ') || 'none', one('userknownhostsfile'), `${what}: userknownhostsfile`);
  const global = one('globalknownhostsfile');
  assert.deepEqual(ours.globalKnownHostsFiles, global === 'none' ? [] : global.split(' '), `${what}: globalknownhostsfile`);
  assert.equal(hops(ours.proxyJump.join(',')), hops(g.get('proxyjump')?.[0] ?? ''), `${what}: proxyjump`);

  const ownProxy = g.has('proxycommand');
  const v = await sshV(file, host, ownProxy);
  assert.equal(ours.proxyCommand, ownProxy ? v.proxy : undefined, `${what}: proxycommand (as ssh runs it)`);
  // muster leaves out the default key kinds ssh2 cannot use (FIDO "sk" keys, XMSS): docs/ssh-config.md.
  const theirs = v.identities.filter((path) => !ours.defaultIdentities || !/_sk$|_xmss$/.test(path)).map((path) => resolve(cwd, path));
  assert.deepEqual(ours.identityFiles, theirs, `${what}: identityfile (as ssh loads them)`);
}

/** ssh -G must refuse (at the same line when it names one); muster must refuse naming file:line:col, in one line. */
async function bothRefuse(file: string, host: string, where: { file: string; line: number }): Promise<void> {
  const refusal = await run('ssh', ['-G', '-F', file, host], { cwd }).then(() => undefined, (error: { stderr?: string }) => error.stderr ?? '');
  assert.notEqual(refusal, undefined, `ssh -G refuses ${file}`);
  const sshLine = /line (\d+)/.exec(refusal ?? '')?.[1];
  if (sshLine !== undefined) assert.equal(Number(sshLine), where.line, `ssh names line ${where.line}: ${refusal}`);
  assert.throws(() => resolver().resolve({ name: host, address: host, sshConfig: file }), (error: unknown) => {
    assert.ok(error instanceof InvalidFileError, String(error));
    assert.ok(error.message.includes(`${where.file}:${where.line}:`), `${error.message} names ${where.file}:${where.line}`);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return true;
  });
}

describe('ssh_config conformance with ssh -G (testdata/corpus)', () => {
  for (const { file, hosts, error } of cases()) {
    const name = file.split('/').pop() ?? file;
    it(`${name}: ${error === undefined ? 'agrees' : `both refuse ${error.file}:${error.line}`} for ${hosts.join(', ')}`, async () => {
      assert.ok(hosts.length > 0, 'the header names hosts');
      for (const host of hosts) {
        if (error === undefined) await compare(file, host);
        else await bothRefuse(file, host, error);
      }
    });
  }
});
