/**
 * The openssh transport (system ssh + ControlMaster) against a real lab fleet.
 * Needs root and openssh-server; skipped with the reason otherwise.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labDown, labExec, labStartHost, labStopHost, labUnavailableReason, labUp, type Lab } from '../lab/index.js';
import { opensshTransport } from './openssh.js';
import { ConnectError, type Target } from './types.js';

const unavailable = await labUnavailableReason();

describe('openssh transport on a real lab', { skip: unavailable ?? false }, () => {
  const name = `test-openssh-${process.pid}`;
  let lab: Lab;
  let dir: string;
  let h1: Target;
  let h2: Target;

  before(async () => {
    lab = await labUp({ name, count: 2 });
    dir = mkdtempSync(join(tmpdir(), 'muster-openssh-test-'));
    const [a, b] = lab.hosts;
    assert.ok(a && b);
    h1 = { name: a.name, address: a.address, sshConfig: lab.sshConfigPath };
    h2 = { name: b.name, address: b.address, sshConfig: lab.sshConfigPath };
  });
  after(async () => {
    await labDown(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs several commands over one master connection, and close ends it', async () => {
    const session = await opensshTransport().connect(h1);
    const failed = await session.exec('echo out; echo err >&2; exit 3');
    assert.deepEqual([failed.exitCode, failed.stdout.toString(), failed.stderr.toString()], [3, 'out\n', 'err\n']);
    const cat = await session.exec('tr a-z A-Z', { stdin: 'hello' });
    assert.equal(cat.stdout.toString(), 'HELLO');
    const truncated = await session.exec('head -c 5000 /dev/zero', { maxOutputBytes: 100 });
    assert.deepEqual([truncated.stdout.length, truncated.stdoutTruncated], [100, true]);
    // Multiplexed: every exec is a channel of the one connection, so they share the sshd session process.
    const [a, b] = await Promise.all([session.exec('echo $PPID'), session.exec('echo $PPID')]);
    assert.equal(a?.stdout.toString(), b?.stdout.toString());
    const sessions = await labExec(lab, h1.name, 'pgrep -c -f "^sshd: root@notty" || true');
    assert.equal(sessions.stdout.trim(), '1', 'one sshd session for every exec');
    session.close();
    await assert.rejects(session.exec('true'), (error: unknown) => error instanceof ConnectError && error.reason === 'closed');
  });

  it('kills the remote process group on abort', async () => {
    const session = await opensshTransport().connect(h1);
    try {
      const controller = new AbortController();
      let seen = '';
      const running = session.exec("echo started; sh -c 'sleep 1000 & wait'", {
        signal: controller.signal,
        onStdout: () => {
          // Wait on the host (up to 5 s) for the sleep: "started" is printed just before it is forked.
          void labExec(lab, h1.name, 'for i in $(seq 100); do pgrep -f "^sleep 100[0]$" && exit 0; sleep 0.05; done; true').then((found) => {
            seen = found.stdout.trim();
            controller.abort(new Error('timed out'));
          });
        },
      });
      await assert.rejects(running, /timed out/);
      assert.notEqual(seen, '');
      assert.equal((await labExec(lab, h1.name, 'pgrep -f "^sleep 100[0]$" || true')).stdout.trim(), '');
    } finally {
      session.close();
    }
  });

  it('reports refused and unknown host keys as ConnectError reasons; acceptNew records', async () => {
    await labStopHost(name, h2.name);
    try {
      await assert.rejects(opensshTransport().connect(h2), (error: unknown) =>
        error instanceof ConnectError && error.reason === 'refused' && /Connection refused/.test(error.message));
    } finally {
      await labStartHost(name, h2.name);
    }
    const knownHosts = join(dir, 'known_hosts');
    const config = join(dir, 'ssh_config');
    writeFileSync(config, [
      `Host ${h2.name}`, `  HostName ${h2.address}`, '  User root', `  IdentityFile ${lab.identityPath}`,
      `  UserKnownHostsFile ${knownHosts}`, '  GlobalKnownHostsFile /dev/null', '',
    ].join('\n'));
    const target = { ...h2, sshConfig: config };
    await assert.rejects(opensshTransport().connect(target), (error: unknown) =>
      error instanceof ConnectError && error.reason === 'hostkey');
    const session = await opensshTransport({ acceptNew: true }).connect(target);
    assert.equal((await session.exec('hostname')).stdout.toString(), `${h2.name}\n`);
    session.close();
    assert.ok(existsSync(knownHosts));
  });

  it('leaves no control sockets behind once every session is closed', async () => {
    const transport = opensshTransport();
    const sessions = await Promise.all([transport.connect(h1), transport.connect(h2)]);
    const internals = sessions.map((session) => session as unknown as { controlDir: string; closing: Promise<void> });
    const controlDir = internals[0]?.controlDir ?? '';
    assert.equal(readdirSync(controlDir).length, 2, 'one control socket per host');
    for (const session of sessions) session.close();
    // close() ends the masters in the background; `closing` settles when that is done.
    await Promise.all(internals.map((session) => session.closing));
    assert.equal(existsSync(controlDir), false);
  });
});
