/**
 * The in-process ssh transport against a real lab fleet (real sshd in namespaces).
 * Needs root and openssh-server; skipped with the reason otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labDown, labExec, labStartHost, labStopHost, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { sshTransport } from './transport.js';
import { ConnectError, type ConnectFailure, type Target } from '../types.js';

const unavailable = await labUnavailableReason();

/** Asserts a ConnectError of `reason` whose message matches `message`. */
function connectError(reason: ConnectFailure, message?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
}

/** PIDs of processes on a lab host whose command line is exactly `sleep 1000` (the [0] keeps pgrep's own shell out). */
async function sleepers(lab: Lab, host: string): Promise<string> {
  return (await labExec(lab, host, 'pgrep -f "^sleep 100[0]$" || true')).stdout.trim();
}

/** Same, but waits (on the host, up to 5 s) for one to appear: "started" is printed just before it is forked. */
async function sleeperStarted(lab: Lab, host: string): Promise<string> {
  const script = 'for i in $(seq 100); do pgrep -f "^sleep 100[0]$" && exit 0; sleep 0.05; done; true';
  return (await labExec(lab, host, script)).stdout.trim();
}

describe('ssh transport on a real lab', { skip: unavailable ?? false }, () => {
  const name = `test-ssh-${process.pid}`;
  let lab: Lab;
  let dir: string;
  let h1: Target;
  let h2: Target;
  /** A transport that reads only the lab's ssh_config (as its "user" file), never ~/.ssh/config. */
  const transport = (extra: Parameters<typeof sshTransport>[0] = {}) =>
    sshTransport({ sshConfig: { userConfig: lab.sshConfigPath }, agent: null, ...extra });
  /** An ssh_config that takes precedence over the lab's, with these lines for every host. */
  const override = (file: string, lines: string[]): string => {
    const path = join(dir, file);
    writeFileSync(path, ['Host *', ...lines.map((line) => `  ${line}`), ''].join('\n'));
    return path;
  };

  before(async () => {
    lab = await labUp({ name, count: 3 });
    dir = mkdtempSync(join(tmpdir(), 'muster-ssh-test-'));
    const [a, b] = lab.hosts;
    assert.ok(a && b);
    h1 = { name: a.name, address: a.address };
    h2 = { name: b.name, address: b.address };
  });
  after(async () => {
    await labDown(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs commands with exit codes, separate stderr, stdin and output caps, all on one connection', async () => {
    const session = await transport().connect({ ...h1, sshConfig: lab.sshConfigPath });
    try {
      const ok = await session.exec('hostname');
      assert.deepEqual([ok.exitCode, ok.signal, ok.stdout.toString(), ok.stderr.toString()], [0, null, `${h1.name}\n`, '']);
      const failed = await session.exec('echo out; echo err >&2; exit 3');
      assert.equal(failed.exitCode, 3);
      assert.equal(failed.stdout.toString(), 'out\n');
      assert.equal(failed.stderr.toString(), 'err\n', 'no pgid marker leaks into stderr');
      const cat = await session.exec('tr a-z A-Z', { stdin: 'hello\n' });
      assert.equal(cat.stdout.toString(), 'HELLO\n');
      let streamed = 0;
      const big = await session.exec('head -c 300000 /dev/zero; head -c 10 /dev/zero >&2', {
        maxOutputBytes: 100_000, onStdout: (chunk) => { streamed += chunk.length; },
      });
      assert.equal(big.stdout.length, 100_000);
      assert.equal(big.stdoutTruncated, true);
      assert.equal(big.stderr.length, 10);
      assert.equal(big.stderrTruncated, false);
      assert.equal(streamed, 300_000);
      // Every exec is a channel of the same connection: the same sshd session process is the parent.
      const parents = await Promise.all([session.exec('echo $PPID'), session.exec('echo $PPID')]);
      const first = await session.exec('echo $PPID');
      assert.equal(parents[0]?.stdout.toString(), first.stdout.toString());
      assert.equal(parents[1]?.stdout.toString(), first.stdout.toString());
      // More commands at once than sshd's default MaxSessions (10): at most 9 run, the rest queue
      // (one channel stays free for aborts). Each counts the commands running beside it.
      const slot = 'd=/tmp/muster-slots; mkdir -p $d; touch $d/$$; ls $d | wc -l; sleep 0.2; rm $d/$$';
      const many = await Promise.all(Array.from({ length: 25 }, () => session.exec(slot)));
      const running = many.map((r) => Number(r.stdout.toString()));
      assert.ok(Math.max(...running) <= 9, `at most 9 at once, saw ${Math.max(...running)}`);
      assert.ok(Math.max(...running) >= 2, 'commands do run concurrently');
      const killed = await session.exec('kill -9 $$');
      assert.deepEqual([killed.exitCode, killed.signal], [null, 'SIGKILL']);
    } finally {
      session.close();
    }
  });

  it('runs through sudo -n when asked', async () => {
    const session = await transport().connect({ ...h1, sshConfig: lab.sshConfigPath });
    try {
      const result = await session.exec('id -u; echo "$SUDO_USER"', { sudo: true });
      assert.equal(result.exitCode, 0, result.stderr.toString());
      assert.equal(result.stdout.toString(), '0\nroot\n');
    } finally {
      session.close();
    }
  });

  it('kills the remote command and its whole process group on abort', async () => {
    const session = await transport().connect({ ...h1, sshConfig: lab.sshConfigPath });
    try {
      // `timeout` moves itself and its command into a process group of their own (same session).
      for (const command of ['echo started; sleep 1000; echo x', "echo started; sh -c 'sleep 1000 & wait'", 'echo started; timeout 2000 sleep 1000; echo x']) {
        const controller = new AbortController();
        let seenRunning = '';
        const running = session.exec(command, {
          signal: controller.signal,
          onStdout: () => {
            void sleeperStarted(lab, h1.name).then((found) => {
              seenRunning = found;
              controller.abort(new Error('timed out'));
            });
          },
        });
        await assert.rejects(running, /timed out/);
        assert.notEqual(seenRunning, '', `no sleep 1000 was running for ${command}`);
        assert.equal(await sleepers(lab, h1.name), '', `sleep 1000 left on the host after aborting ${command}`);
      }
      // The session is still usable after an abort.
      assert.equal((await session.exec('echo fine')).stdout.toString(), 'fine\n');
    } finally {
      session.close();
    }
  });

  it('notices a host that dies or goes silent mid-command (ConnectError closed), through keepalive', async () => {
    const h3 = lab.hosts[2];
    assert.ok(h3);
    const target = { name: h3.name, address: h3.address, sshConfig: lab.sshConfigPath };
    // Silent: the host's sshd session processes are frozen, so only keepalive can tell.
    const quick = transport({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    const frozen = await quick.connect(target);
    const hanging = frozen.exec('echo started; sleep 1000', {
      onStdout: () => void labExec(lab, h3.name, 'for p in $(pgrep -f "^sshd: root"); do kill -STOP $p; done'),
    });
    await assert.rejects(hanging, connectError('closed', /lost: Keepalive timeout/));
    frozen.close();
    await labExec(lab, h3.name, 'for p in $(pgrep -f "^sshd: root"); do kill -KILL $p; done');
    // Dead: the whole host stops while the command runs.
    const session = await transport().connect(target);
    let stopping: Promise<boolean> | undefined;
    const running = session.exec('echo started; sleep 1000', { onStdout: () => { stopping = labStopHost(name, h3.name); } });
    try {
      await assert.rejects(running, connectError('closed'));
      await assert.rejects(session.exec('true'), connectError('closed'));
    } finally {
      session.close();
      // The stop must be over before the start, or the start sees the host still running.
      await stopping;
      assert.equal(await labStartHost(name, h3.name), true);
    }
  });

  it('refuses an unknown host key with a clear message, and records it with acceptNew', async () => {
    const knownHosts = join(dir, 'accept_known_hosts');
    const config = override('accept_config', [`UserKnownHostsFile ${knownHosts}`]);
    await assert.rejects(
      transport().connect({ ...h2, sshConfig: config }),
      connectError('hostkey', new RegExp(`host key for ${h2.address.replaceAll('.', '\\.')} \\(ssh-ed25519 SHA256:.*\\) is not in known_hosts \\(${knownHosts}\\); verify it and add it, or rerun with acceptNew to record it`)),
    );
    const session = await transport({ acceptNew: true }).connect({ ...h2, sshConfig: config });
    assert.equal((await session.exec('hostname')).stdout.toString(), `${h2.name}\n`);
    session.close();
    const recorded = readFileSync(knownHosts, 'utf8');
    assert.match(recorded, new RegExp(`^${h2.address.replaceAll('.', '\\.')} ssh-ed25519 \\S+\\n$`));
    // The recorded key is the host's real one: OpenSSH accepts it, and so does a fresh transport.
    execFileSync('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-i', lab.identityPath, '-l', 'root', h2.address, 'true']);
    (await transport().connect({ ...h2, sshConfig: config })).close();
  });

  it('refuses a changed host key, even with acceptNew, naming the known_hosts line', async () => {
    const knownHosts = join(dir, 'changed_known_hosts');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'impostor')]);
    const impostor = readFileSync(join(dir, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(knownHosts, `# first line\n${h2.address} ${impostor}\n`);
    const config = override('changed_config', [`UserKnownHostsFile ${knownHosts}`]);
    for (const acceptNew of [false, true]) {
      await assert.rejects(
        transport({ acceptNew }).connect({ ...h2, sshConfig: config }),
        connectError('hostkey', new RegExp(`host key for ${h2.address.replaceAll('.', '\\.')} has CHANGED.*${knownHosts}:2 holds a different ssh-ed25519 key`)),
      );
    }
    assert.equal(readFileSync(knownHosts, 'utf8').split('\n').length, 3, 'nothing was appended');
  });

  it('follows StrictHostKeyChecking from ssh_config, and refuses a key marked @revoked', async () => {
    for (const policy of ['accept-new', 'no']) {
      const knownHosts = join(dir, `policy_${policy}_known_hosts`);
      const config = override(`policy_${policy}_config`, [`UserKnownHostsFile ${knownHosts}`, `StrictHostKeyChecking ${policy}`]);
      (await transport().connect({ ...h2, sshConfig: config })).close();
      assert.match(readFileSync(knownHosts, 'utf8'), /ssh-ed25519/, `StrictHostKeyChecking ${policy} records the key`);
    }
    const knownHosts = join(dir, 'revoked_known_hosts');
    const line = readFileSync(join(dir, 'policy_no_known_hosts'), 'utf8').trim();
    writeFileSync(knownHosts, `${line}\n@revoked * ${line.split(' ').slice(1).join(' ')}\n`);
    const config = override('revoked_config', [`UserKnownHostsFile ${knownHosts}`]);
    await assert.rejects(transport({ acceptNew: true }).connect({ ...h2, sshConfig: config }),
      connectError('hostkey', new RegExp(`is marked @revoked in ${knownHosts}:2`)));
  });

  it('accepts a host listed in a known_hosts file hashed by ssh-keygen -H', async () => {
    const knownHosts = join(dir, 'hashed_known_hosts');
    copyFileSync(lab.knownHostsPath, knownHosts);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', knownHosts], { stdio: 'ignore' });
    assert.doesNotMatch(readFileSync(knownHosts, 'utf8'), new RegExp(h1.address.replaceAll('.', '\\.')));
    const config = override('hashed_config', [`UserKnownHostsFile ${knownHosts}`]);
    const session = await transport().connect({ ...h1, sshConfig: config });
    assert.equal((await session.exec('hostname')).exitCode, 0);
    session.close();
  });

  it('honours HostName for a target whose address is its name, ProxyJump and ProxyCommand', async () => {
    // The lab's ssh_config maps each name to its address.
    const byName = await transport().connect({ name: h1.name, address: h1.name, sshConfig: lab.sshConfigPath });
    assert.equal((await byName.exec('hostname')).stdout.toString(), `${h1.name}\n`);
    byName.close();
    const via = (jump: string) => override(`jump_${jump}`, [`ProxyJump ${jump}`]);
    const jumped = await transport().connect({ ...h2, sshConfig: via(h1.name) });
    assert.equal((await jumped.exec('hostname')).stdout.toString(), `${h2.name}\n`);
    jumped.close();
    // A hop's own ProxyJump applies too: lab02 via h3, h3 via lab01.
    const h3name = lab.hosts[2]?.name ?? '';
    const nested = join(dir, 'jump_nested');
    writeFileSync(nested, [`Host ${h2.name}`, `  ProxyJump ${h3name}`, `Host ${h3name}`, `  ProxyJump ${h1.name}`, ''].join('\n'));
    await labStopHost(name, h1.name);
    try {
      await assert.rejects(transport().connect({ ...h2, sshConfig: nested }),
        connectError('refused', new RegExp(`jump host ${h1.name} for ${h2.name}`)));
    } finally {
      await labStartHost(name, h1.name);
    }
    const twice = await transport().connect({ ...h2, sshConfig: nested });
    assert.equal((await twice.exec('hostname')).stdout.toString(), `${h2.name}\n`);
    twice.close();
    // ProxyCommand: the classic `ssh -W` through another host.
    const proxied = (via: string) => override(`proxy_${via}`, [`ProxyCommand ssh -F ${lab.sshConfigPath} -W %h:%p ${via}`]);
    const throughCommand = await transport().connect({ ...h2, sshConfig: proxied(h1.name) });
    assert.equal((await throughCommand.exec('hostname')).stdout.toString(), `${h2.name}\n`);
    throughCommand.close();
    // A jump through a stopped host fails, so the jump really is used.
    const h3 = lab.hosts[2];
    assert.ok(h3);
    await labStopHost(name, h3.name);
    try {
      await assert.rejects(transport().connect({ ...h2, sshConfig: via(h3.name) }), connectError('refused', /jump host/));
      await assert.rejects(transport().connect({ ...h2, sshConfig: proxied(h3.name) }),
        connectError('refused', /ProxyCommand exited with 255: .*Connection refused/));
    } finally {
      await labStartHost(name, h3.name);
    }
  });

  it('IdentityFile none uses no key file, not the defaults, with or without IdentitiesOnly', async () => {
    // A home whose default key (~/.ssh/id_ed25519) the lab hosts accept.
    const home = mkdtempSync(join(tmpdir(), 'muster-ssh-home-'));
    try {
      mkdirSync(join(home, '.ssh'));
      copyFileSync(lab.identityPath, join(home, '.ssh', 'id_ed25519'));
      const withHome = sshTransport({ sshConfig: { userConfig: null, home }, agent: null });
      const base = ['User root', `UserKnownHostsFile ${lab.knownHostsPath}`];
      (await withHome.connect({ ...h1, sshConfig: override('defaults_config', base) })).close();
      for (const lines of [['IdentityFile none'], ['IdentityFile none', 'IdentitiesOnly yes']]) {
        await assert.rejects(withHome.connect({ ...h1, sshConfig: override('none_config', [...base, ...lines]) }),
          connectError('auth', /no identity to log in to root@.*: no ssh-agent \(SSH_AUTH_SOCK unset\), and IdentityFile none/));
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('UserKnownHostsFile none: there is no file, so accept-new records nowhere and refuses, as ssh does', async () => {
    const home = mkdtempSync(join(tmpdir(), 'muster-ssh-home-'));
    try {
      const config = override('no_known_hosts_config', ['User root', `IdentityFile ${lab.identityPath}`, 'UserKnownHostsFile none', 'GlobalKnownHostsFile none']);
      // The reference: OpenSSH 9.2 with no known_hosts file cannot accept a new key either.
      const reference = spawnSync('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-l', 'root', h1.address, 'true'], { encoding: 'utf8', env: { ...process.env, HOME: home } });
      assert.equal(reference.status, 255, reference.stderr);
      assert.match(reference.stderr, /Host key verification failed/);
      await assert.rejects(sshTransport({ sshConfig: { userConfig: null, home }, agent: null, acceptNew: true }).connect({ ...h1, sshConfig: config }),
        connectError('hostkey', /is not known and cannot be recorded: there is no UserKnownHostsFile/));
      assert.deepEqual(readdirSync(home), [], 'no ~/none, nor any other file, was written');
      assert.ok(!existsSync(join(dir, 'none')), 'nor a "none" beside the ssh_config');
      await assert.rejects(sshTransport({ sshConfig: { userConfig: null, home }, agent: null }).connect({ ...h1, sshConfig: config }),
        connectError('hostkey', /is not in known_hosts \(UserKnownHostsFile none\)/));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('logs in with a key held by ssh-agent', async () => {
    const socket = join(dir, 'agent.sock');
    const started = execFileSync('ssh-agent', ['-a', socket, '-s'], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started)?.[1]);
    try {
      execFileSync('ssh-add', ['-q', lab.identityPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const config = override('agent_config', [
        'User root', `UserKnownHostsFile ${lab.knownHostsPath}`, `IdentityFile ${join(dir, 'no_such_key')}`,
      ]);
      const viaAgent = sshTransport({ sshConfig: { userConfig: null }, agent: socket });
      const session = await viaAgent.connect({ ...h1, sshConfig: config });
      assert.equal((await session.exec('hostname')).stdout.toString(), `${h1.name}\n`);
      session.close();
      await assert.rejects(
        sshTransport({ sshConfig: { userConfig: null }, agent: null }).connect({ ...h1, sshConfig: config }),
        connectError('auth', /no identity to log in/),
      );
      // A dead agent socket is noted, and the identity files are still tried.
      const deadAgent = sshTransport({ sshConfig: { userConfig: lab.sshConfigPath }, agent: join(dir, 'no-agent.sock') });
      const despite = await deadAgent.connect({ ...h1, sshConfig: lab.sshConfigPath });
      despite.close();
      const noKey = override('dead_agent_config', ['User root', `UserKnownHostsFile ${lab.knownHostsPath}`, `IdentityFile ${join(dir, 'no_such_key')}`]);
      await assert.rejects(sshTransport({ sshConfig: { userConfig: null }, agent: join(dir, 'no-agent.sock') }).connect({ ...h1, sshConfig: noKey }),
        connectError('auth', /tried ssh-agent; ssh-agent: Failed to connect to agent\)/));
      // IdentitiesOnly: an encrypted IdentityFile is used through its copy in the agent...
      const encrypted = join(dir, 'encrypted_key');
      copyFileSync(lab.identityPath, encrypted);
      writeFileSync(`${encrypted}.pub`, execFileSync('ssh-keygen', ['-y', '-f', lab.identityPath]));
      execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'secret', '-f', encrypted]);
      const only = override('agent_only_config', [
        'User root', `UserKnownHostsFile ${lab.knownHostsPath}`, `IdentityFile ${encrypted}`, 'IdentitiesOnly yes',
      ]);
      const viaAgentOnly = await viaAgent.connect({ ...h1, sshConfig: only });
      assert.equal((await viaAgentOnly.exec('hostname')).exitCode, 0);
      viaAgentOnly.close();
      // ...and no other agent key is offered.
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other_key')]);
      const other = override('agent_other_config', [
        'User root', `UserKnownHostsFile ${lab.knownHostsPath}`, `IdentityFile ${join(dir, 'other_key')}`, 'IdentitiesOnly yes',
      ]);
      await assert.rejects(viaAgent.connect({ ...h1, sshConfig: other }), connectError('auth', /permission denied/));
    } finally {
      process.kill(pid);
    }
  });

  it('maps connection failures to reasons: refused, auth, timeout, aborted', async () => {
    await labStopHost(name, h2.name);
    try {
      await assert.rejects(transport().connect({ ...h2, sshConfig: lab.sshConfigPath }), connectError('refused', /refused/));
    } finally {
      await labStartHost(name, h2.name);
    }
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'stranger')]);
    const stranger = override('stranger_config', [
      `IdentityFile ${join(dir, 'stranger')}`, 'IdentitiesOnly yes', `UserKnownHostsFile ${join(dir, 'stranger_known_hosts')}`,
    ]);
    const lonely = sshTransport({ sshConfig: { userConfig: null }, agent: null, acceptNew: true });
    await assert.rejects(
      lonely.connect({ ...h1, user: 'root', sshConfig: stranger }),
      connectError('auth', /permission denied for root@/),
    );
    // A listener that accepts and never speaks: the connect timeout must fire.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(address && typeof address === 'object');
    try {
      await assert.rejects(
        transport({ connectTimeoutMs: 300 }).connect({ name: 'silent', address: '127.0.0.1', port: address.port }),
        connectError('timeout', /timed out after 0.3s/),
      );
      const controller = new AbortController();
      const pending = transport().connect({ name: 'silent', address: '127.0.0.1', port: address.port }, { signal: controller.signal });
      controller.abort();
      await assert.rejects(pending, connectError('aborted'));
    } finally {
      silent.close();
    }
  });

  it('bounds connecting by the transport\'s connectTimeoutMs first, then by ssh_config\'s ConnectTimeout', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(address && typeof address === 'object');
    const target = { name: 'silent', address: '127.0.0.1', port: address.port, sshConfig: override('timeout_config', ['ConnectTimeout 1']) };
    try {
      // The transport's option is the CLI's --connect-timeout: it wins over ssh_config.
      await assert.rejects(transport({ connectTimeoutMs: 300 }).connect(target), connectError('timeout', /timed out after 0.3s/));
      await assert.rejects(transport().connect(target), connectError('timeout', /timed out after 1s/));
    } finally {
      silent.close();
    }
  });
});
