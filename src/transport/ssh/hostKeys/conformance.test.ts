/**
 * known_hosts conformance: each scenario is a known_hosts file and a way to connect; muster's
 * answer is compared, at test time, with OpenSSH's on the same file — `ssh-keygen -F` for which
 * lines name the host, a real `ssh` (OpenSSH 9.2) for the verdict, whether it connects and what it
 * appends — against throwaway sshds on 127.0.0.1 (one per set of host keys, shared by every
 * scenario). Where muster deliberately differs, the scenario pins muster's answer and checks that
 * OpenSSH still answers otherwise; docs/transports.md lists the same differences.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pooledAll } from '../../../core/pool.js';
import { ConnectError } from '../../types.js';
import { sshTransport } from '../transport.js';
import { KnownHosts } from './knownHosts.js';
import { keygen, type Sshd, sshdUnavailableReason, startSshd } from './throwawaySshd.test-helper.js';

const unavailable = sshdUnavailableReason();

type Verdict = 'known' | 'unknown' | 'changed' | 'revoked';
type Policy = 'yes' | 'accept-new' | 'no';
type Server = 'multi' | 'edOnly' | 'cert';

/** What one client made of one scenario. */
interface Result {
  verdict: Verdict;
  /** Went on past the host key: muster logged in; ssh (given no key) got as far as "Permission denied". */
  connected: boolean;
  /** The lines it added to known_hosts. */
  appended: string[];
}

/** The keys a scenario's lines are written with: `TYPE BASE64` each. */
interface Keys {
  ed: string;
  rsa: string;
  ecdsa: string;
  /** Keys the servers do not have. */
  otherEd: string;
  otherRsa: string;
  dsa: string;
  ca: string;
}

interface Scenario {
  name: string;
  /** multi: ed25519 + RSA + ECDSA host keys; edOnly: the same ed25519 key alone; cert: ed25519 with a host certificate. */
  server: Server;
  policy: Policy;
  alias?: string;
  lines: (keys: Keys, port: number) => string[];
  /** Hash the file with `ssh-keygen -H` first. */
  hash?: boolean;
  /** A deliberate difference: muster's own answer, pinned, and why. */
  differs?: { muster: (keys: Keys, port: number) => Result; why: string };
}

const refused = (verdict: Verdict) => (): Result => ({ verdict, connected: false, appended: [] });

/** The scenarios, by area. `P` in a line is the server's `[127.0.0.1]:port`. */
const areas: Record<string, Scenario[]> = {
  plain: [
    { name: 'the host and its key', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.ed}`] },
    { name: 'the host in a comma list', server: 'multi', policy: 'yes', lines: (k, p) => [`a.lan,${P(p)},b.lan ${k.ed}`] },
    { name: 'another key of the same type', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.otherEd}`] },
    { name: 'another key of the same type, accept-new', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.otherEd}`] },
    { name: 'only other hosts', server: 'multi', policy: 'yes', lines: (k) => [`other.lan ${k.ed}`] },
    { name: 'only other hosts, accept-new appends', server: 'multi', policy: 'accept-new', lines: (k) => [`other.lan ${k.ed}`] },
    { name: 'only other hosts, StrictHostKeyChecking no appends', server: 'multi', policy: 'no', lines: (k) => [`other.lan ${k.ed}`] },
    { name: 'an empty file, accept-new', server: 'edOnly', policy: 'accept-new', lines: () => [] },
  ],
  hashed: [
    { name: 'hashed [host]:port with its key', server: 'multi', policy: 'yes', hash: true, lines: (k, p) => [`other.lan ${k.rsa}`, `${P(p)} ${k.ed}`] },
    { name: 'hashed, another key', server: 'multi', policy: 'accept-new', hash: true, lines: (k, p) => [`${P(p)} ${k.otherEd}`] },
    { name: 'hashed alias, looked up lowercased', server: 'multi', policy: 'yes', hash: true, alias: 'Web1.Example.LAN', lines: (k) => [`web1.example.lan ${k.ed}`] },
    { name: 'hashed alias written in capitals never matches', server: 'multi', policy: 'yes', hash: true, alias: 'web1.example.lan', lines: (k) => [`WEB1.example.lan ${k.ed}`] },
  ],
  patterns: [
    { name: '*.example.lan', server: 'multi', policy: 'yes', alias: 'web1.example.lan', lines: (k) => [`*.example.lan ${k.ed}`] },
    { name: 'web?.example.lan', server: 'multi', policy: 'yes', alias: 'web1.example.lan', lines: (k) => [`web?.example.lan ${k.ed}`] },
    { name: 'a plain name is case-insensitive', server: 'multi', policy: 'yes', alias: 'web1.example.lan', lines: (k) => [`WEB1.Example.Lan ${k.ed}`] },
    { name: 'a negated name excludes the line', server: 'multi', policy: 'yes', alias: 'web1.example.lan', lines: (k) => [`*.example.lan,!web1.example.lan ${k.ed}`] },
    { name: 'a negated name excludes a line with another key (not changed)', server: 'multi', policy: 'accept-new', alias: 'web1.example.lan', lines: (k) => [`!web1.example.lan,*.lan ${k.otherEd}`] },
    { name: 'a wildcard with another key', server: 'multi', policy: 'accept-new', alias: 'web1.example.lan', lines: (k) => [`*.lan ${k.otherEd}`] },
    { name: 'a negation that does not apply', server: 'multi', policy: 'yes', alias: 'web1.example.lan', lines: (k) => [`*.lan,!db1.example.lan ${k.ed}`] },
  ],
  ports: [
    { name: 'a port-less line is used for [host]:port', server: 'multi', policy: 'yes', lines: (k) => [`127.0.0.1 ${k.ed}`] },
    { name: 'a port-less line with another key leaves it unknown', server: 'multi', policy: 'yes', lines: (k) => [`127.0.0.1 ${k.otherEd}`] },
    { name: 'a port-less line with another key, accept-new appends [host]:port', server: 'multi', policy: 'accept-new', lines: (k) => [`127.0.0.1 ${k.otherEd}`] },
    { name: 'a port-less RSA line: ed25519 is asked for, unknown', server: 'multi', policy: 'yes', lines: (k) => [`127.0.0.1 ${k.rsa}`] },
    { name: 'a [host]:port line with another key: no fall-back', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.otherEd}`, `127.0.0.1 ${k.ed}`] },
    { name: 'another port', server: 'multi', policy: 'yes', lines: (k) => [`[127.0.0.1]:1 ${k.ed}`] },
    { name: 'HostKeyAlias is looked up without a port', server: 'multi', policy: 'yes', alias: 'db1.lan', lines: (k) => [`db1.lan ${k.ed}`] },
    { name: 'HostKeyAlias: no fall-back to the address', server: 'multi', policy: 'yes', alias: 'db1.lan', lines: (k) => [`127.0.0.1 ${k.ed}`] },
  ],
  revoked: [
    { name: '@revoked on the host, before its plain line', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.ed}`, `@revoked ${P(p)} ${k.ed}`] },
    { name: '@revoked *', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.ed}`, `@revoked * ${k.ed}`] },
    { name: '@revoked for another host only', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.ed}`, `@revoked other.lan ${k.ed}`] },
    { name: '@revoked for another host only, accept-new appends', server: 'multi', policy: 'accept-new', lines: (k) => [`@revoked other.lan ${k.ed}`] },
    { name: '@revoked of another key for the host', server: 'multi', policy: 'yes', lines: (k, p) => [`@revoked ${P(p)} ${k.otherEd}`, `${P(p)} ${k.ed}`] },
    { name: '@revoked on a negated pattern', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.ed}`, `@revoked *,!${P(p)} ${k.ed}`] },
    {
      name: '@revoked on the port-less name', server: 'multi', policy: 'accept-new', lines: (k) => [`@revoked 127.0.0.1 ${k.ed}`],
      differs: { muster: refused('revoked'), why: 'OpenSSH warns that the key is revoked, then records it for [host]:port and connects' },
    },
  ],
  types: [
    { name: 'RSA known, the server offers only ed25519', server: 'edOnly', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.rsa}`] },
    { name: 'RSA known, the server offers only ed25519, accept-new', server: 'edOnly', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.rsa}`] },
    {
      name: 'RSA known, the server offers only ed25519, StrictHostKeyChecking no', server: 'edOnly', policy: 'no', lines: (k, p) => [`${P(p)} ${k.rsa}`],
      differs: { muster: refused('changed'), why: 'OpenSSH goes on after a changed key with "no" (password logins off); muster refuses a changed key always' },
    },
    { name: 'ECDSA known, the server offers only ed25519, accept-new', server: 'edOnly', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.ecdsa}`] },
    { name: 'a DSA key known', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.dsa}`] },
    { name: 'RSA known: RSA is asked for first', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.rsa}`] },
    { name: 'ECDSA known: ECDSA is asked for first', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.ecdsa}`] },
    { name: 'RSA and ed25519 known, the server offers only ed25519', server: 'edOnly', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.rsa}`, `${P(p)} ${k.ed}`] },
    { name: 'a wrong ed25519 and the right RSA key: ed25519 is asked for', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.otherEd}`, `${P(p)} ${k.rsa}`] },
    { name: 'the right RSA key and another RSA key', server: 'multi', policy: 'yes', lines: (k, p) => [`${P(p)} ${k.otherRsa}`, `${P(p)} ${k.rsa}`] },
  ],
  lines: [
    { name: 'comments and blank lines', server: 'multi', policy: 'yes', lines: (k, p) => ['# fleet', '', '   ', `#${P(p)} ${k.otherEd}`, `${P(p)} ${k.ed}`] },
    { name: 'a trailing comment and leading blanks', server: 'multi', policy: 'yes', lines: (k, p) => [`   ${P(p)} ${k.ed} root@somewhere`] },
    { name: 'a key of another type than its field says', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ssh-rsa ${k.otherEd.split(' ')[1]}`] },
    { name: 'bad base64', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ssh-ed25519 AAAAgarbage`] },
    { name: 'a truncated key', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ${k.otherEd.slice(0, -12)}`] },
    { name: 'a key type OpenSSH does not know', server: 'multi', policy: 'accept-new', lines: (k, p) => [`${P(p)} ssh-foo ${k.otherEd.split(' ')[1]}`] },
    { name: 'an unknown marker', server: 'multi', policy: 'accept-new', lines: (k, p) => [`@bogus ${P(p)} ${k.otherEd}`] },
    { name: 'a line with two fields', server: 'multi', policy: 'accept-new', lines: (_k, p) => [`${P(p)} ssh-ed25519`] },
    {
      name: 'a last line without a newline, accept-new', server: 'multi', policy: 'accept-new', lines: (k) => [`other.lan ${k.ed}`, '\0'],
      differs: {
        muster: (k, p) => ({ verdict: 'unknown', connected: true, appended: [`${P(p)} ${k.ed}`] }),
        why: 'OpenSSH 9.2 appends to the last line, making one broken line of two keys; muster starts a new line',
      },
    },
  ],
  certificates: [
    { name: '@cert-authority for the host, no certificate offered', server: 'multi', policy: 'yes', lines: (k, p) => [`@cert-authority ${P(p)} ${k.ca}`] },
    {
      name: '@cert-authority for the host, a certificate offered', server: 'cert', policy: 'yes', lines: (k, p) => [`@cert-authority ${P(p)} ${k.ca}`],
      differs: { muster: refused('unknown'), why: 'muster does not use host certificates (use --transport openssh)' },
    },
    { name: '@cert-authority does not make a plain key changed', server: 'multi', policy: 'yes', lines: (k, p) => [`@cert-authority ${P(p)} ${k.ca}`, `${P(p)} ${k.ed}`] },
  ],
};

/** `[127.0.0.1]:port`, as known_hosts names a host on another port than 22. */
function P(port: number): string {
  return `[127.0.0.1]:${port}`;
}

describe('known_hosts conformance with OpenSSH', { skip: unavailable ?? false }, () => {
  let dir: string;
  let keys: Keys;
  const servers = new Map<Server, Sshd>();
  /** Per scenario (area/name), each client's result and the lines it names, computed once in `before`. */
  const results = new Map<string, { openssh: Result; muster: Result; musterAcceptNew?: Result; keygenLines: string[]; musterLines: string[] }>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'muster-khc-'));
    keys = {
      ed: keygen(dir, 'host_ed25519', 'ed25519'),
      rsa: keygen(dir, 'host_rsa', 'rsa'),
      ecdsa: keygen(dir, 'host_ecdsa', 'ecdsa'),
      otherEd: keygen(dir, 'other_ed25519', 'ed25519'),
      otherRsa: keygen(dir, 'other_rsa', 'rsa'),
      dsa: keygen(dir, 'other_dsa', 'dsa'),
      ca: keygen(dir, 'ca', 'ed25519'),
    };
    copyFileSync(join(dir, 'host_ed25519.pub'), join(dir, 'cert_host.pub'));
    copyFileSync(join(dir, 'host_ed25519'), join(dir, 'cert_host'));
    execFileSync('ssh-keygen', ['-q', '-s', join(dir, 'ca'), '-h', '-I', 'conformance', '-n', '127.0.0.1', join(dir, 'cert_host.pub')]);
    keygen(dir, 'client', 'ed25519');
    copyFileSync(join(dir, 'client.pub'), join(dir, 'authorized_keys'));
    const key = (name: string): string => join(dir, name);
    const authorizedKeys = key('authorized_keys');
    servers.set('multi', await startSshd(dir, 'multi', { hostKeys: [key('host_ed25519'), key('host_rsa'), key('host_ecdsa')], authorizedKeys }));
    servers.set('edOnly', await startSshd(dir, 'edOnly', { hostKeys: [key('host_ed25519')], authorizedKeys }));
    servers.set('cert', await startSshd(dir, 'cert', { hostKeys: [key('cert_host')], certificates: [key('cert_host-cert.pub')], authorizedKeys }));

    const all = Object.entries(areas).flatMap(([area, list]) => list.map((scenario, index) => ({ area, scenario, id: `${area}-${index}` })));
    await pooledAll(all, async ({ area, scenario, id }) => {
      results.set(`${area}/${scenario.name}`, await runScenario(scenario, id));
    }, { limit: 4 });
  });

  after(async () => {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the scenario's file (one copy per client), runs each client, and lists the lines that name the host. */
  async function runScenario(scenario: Scenario, id: string) {
    const port = (servers.get(scenario.server) as Sshd).port;
    const lines = scenario.lines(keys, port);
    // A '\0' last line stands for "no newline after the previous one".
    const text = lines.at(-1) === '\0' ? lines.slice(0, -1).join('\n') : lines.map((line) => `${line}\n`).join('');
    const pristine = join(dir, `${id}.known_hosts`);
    writeFileSync(pristine, text);
    if (scenario.hash) execFileSync('ssh-keygen', ['-q', '-H', '-f', pristine], { stdio: 'ignore' });
    const copy = (client: string): string => {
      const file = `${pristine}.${client}`;
      copyFileSync(pristine, file);
      return file;
    };
    const name = scenario.alias?.toLowerCase() ?? P(port);
    const names = scenario.alias === undefined ? [name, '127.0.0.1'] : [name];
    const keygenLines = names.flatMap((n) => sshKeygenFind(n, pristine).map((line) => `${n}:${line}`));
    const known = new KnownHosts();
    const musterLines = names.flatMap((n) => known.linesNaming([pristine], n).map((e) => {
      const marker = e.marker === 'revoked' ? ' REVOKED' : e.marker === 'cert-authority' ? ' CA' : '';
      return `${n}:${e.line}${marker}`;
    }));
    const openssh = await runOpenssh(scenario, port, copy('openssh'));
    const muster = await runMuster(scenario, port, copy('muster'), scenario.policy, false, id);
    // The transport's acceptNew (the CLI's --accept-new) over StrictHostKeyChecking yes must answer as accept-new does.
    const musterAcceptNew = scenario.policy === 'accept-new' ? await runMuster(scenario, port, copy('muster-flag'), 'yes', true, `${id}f`) : undefined;
    return { openssh, muster, ...(musterAcceptNew ? { musterAcceptNew } : {}), keygenLines, musterLines };
  }

  /** The lines of `file` that were not in it before (a line changed in place counts as new). */
  function appendedTo(file: string, before: string): string[] {
    const old = new Set(before.split('\n'));
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '' && !old.has(line));
  }

  /** The real ssh, as a user runs it: BatchMode, the file as UserKnownHostsFile, nothing else. */
  async function runOpenssh(scenario: Scenario, port: number, file: string): Promise<Result> {
    const before = readFileSync(file, 'utf8');
    const args = [
      '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${scenario.policy}`,
      '-o', `UserKnownHostsFile=${file}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'UpdateHostKeys=no',
      '-o', 'ConnectTimeout=10', ...(scenario.alias ? ['-o', `HostKeyAlias=${scenario.alias}`] : []),
      // No key to log in with: ssh stops at "Permission denied" once past the host key, which is
      // all that is asked here, and a login (and a session) would double the suite's time.
      '-o', 'PubkeyAuthentication=no',
      // OpenSSH 9.2's default key exchange (sntrup761x25519) costs ~90 ms of CPU a connection; curve25519 (as muster's) ~8.
      '-o', 'KexAlgorithms=curve25519-sha256', '-p', String(port), 'root@127.0.0.1', 'true',
    ];
    const { code, stderr } = await spawned('ssh', args);
    const appended = appendedTo(file, before);
    const connected = /Permission denied \(publickey\)/.test(stderr);
    if (!connected && !/Host key verification failed/.test(stderr)) throw new Error(`ssh failed for another reason than the host key (${code}): ${stderr}`);
    if (appended.length > 0) assert.match(stderr, /Permanently added/);
    let verdict: Verdict = 'known';
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) verdict = 'changed';
    else if (/REVOKED HOST KEY DETECTED/.test(stderr) && appended.length === 0) verdict = 'revoked';
    else if (appended.length > 0 || !connected) verdict = 'unknown';
    return { verdict, connected, appended };
  }

  /** muster's in-process transport, given the same settings through an ssh_config file. */
  async function runMuster(scenario: Scenario, port: number, file: string, policy: Policy, acceptNew: boolean, id: string): Promise<Result> {
    const before = readFileSync(file, 'utf8');
    const config = join(dir, `${id}.ssh_config`);
    writeFileSync(config, [
      'Host *', `  UserKnownHostsFile ${file}`, '  GlobalKnownHostsFile /dev/null', `  StrictHostKeyChecking ${policy}`,
      `  IdentityFile ${join(dir, 'client')}`, '  IdentitiesOnly yes', ...(scenario.alias ? [`  HostKeyAlias ${scenario.alias}`] : []), '',
    ].join('\n'));
    const transport = sshTransport({ sshConfig: { userConfig: config, home: dir }, agent: null, acceptNew });
    let verdict: Verdict;
    let connected = false;
    try {
      const session = await transport.connect({ name: 'target', address: '127.0.0.1', port, user: 'root' });
      session.close();
      connected = true;
      verdict = 'known';
    } catch (error) {
      if (!(error instanceof ConnectError) || error.reason !== 'hostkey') throw error;
      if (/has CHANGED/.test(error.message)) verdict = 'changed';
      else if (/@revoked/.test(error.message)) verdict = 'revoked';
      else if (/is not in known_hosts/.test(error.message)) verdict = 'unknown';
      else throw error;
    }
    const appended = appendedTo(file, before);
    if (appended.length > 0) verdict = 'unknown';
    return { verdict, connected, appended };
  }

  for (const [area, list] of Object.entries(areas)) {
    describe(`${area} (${list.length} scenarios)`, () => {
      for (const scenario of list) {
        it(`${scenario.name} [${scenario.server}, StrictHostKeyChecking ${scenario.policy}]`, () => {
          const result = results.get(`${area}/${scenario.name}`);
          assert.ok(result, 'the scenario ran');
          assert.deepEqual(result.musterLines, result.keygenLines, 'the lines that name the host, as ssh-keygen -F lists them');
          if (scenario.differs) {
            const pinned = scenario.differs.muster(keys, (servers.get(scenario.server) as Sshd).port);
            assert.deepEqual(result.muster, pinned, `muster's pinned answer (${scenario.differs.why})`);
            assert.notDeepEqual(result.openssh, pinned, `OpenSSH now answers as muster does: drop the pin (${scenario.differs.why})`);
          } else {
            assert.deepEqual(result.muster, result.openssh, 'muster answers as ssh does');
          }
          if (result.musterAcceptNew) assert.deepEqual(result.musterAcceptNew, result.muster, 'acceptNew answers as StrictHostKeyChecking accept-new');
        });
      }
    });
  }
});

/** The line numbers `ssh-keygen -F NAME -f FILE` lists, with their marker: `3`, `4 REVOKED`, `5 CA`. */
function sshKeygenFind(name: string, file: string): string[] {
  let out = '';
  try {
    out = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    // Exit 1: nothing found.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  return [...out.matchAll(/^# Host .* found: line (\d+) ?(\S*)$/gm)].map((m) => `${m[1]}${m[2] ? ` ${m[2]}` : ''}`);
}

/** Runs a command to its end: exit code and stderr. */
function spawned(command: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}
