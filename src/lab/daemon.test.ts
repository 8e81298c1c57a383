/**
 * Daemons inside lab hosts on the real thing: started detached in the host's namespaces,
 * outliving the process that started them, listed by status, ended with their host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UsageError } from '../core/errors.js';
import { isAlive } from './host.js';
import { labDaemons, labDown, labStartDaemon, labStartHost, labStatus, labStopDaemon, labStopHost, labUnavailableReason, labUp } from './index.js';

const unavailable = await labUnavailableReason();
const run = promisify(execFile);

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('daemons inside lab hosts', { skip: unavailable ?? false }, () => {
  const name = `test-daemon-${process.pid}`;

  before(async () => {
    await labUp({ name, count: 2 });
  });
  after(async () => {
    await labDown(name);
  });

  test('a daemon started by a process that then exits keeps running, in the host, and is listed', async () => {
    const daemonModule = fileURLToPath(new URL('./daemon.js', import.meta.url));
    // Started from another node process that exits at once: the daemon must outlive it.
    const script = `const { labStartDaemon } = await import(${JSON.stringify(daemonModule)});
      const d = await labStartDaemon(${JSON.stringify(name)}, 'lab01', 'sleeper', ['/bin/sh', '-c', 'echo "up on $(hostname) as $$"; exec sleep 1000']);
      process.stdout.write(String(d.pid));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const pid = Number(stdout);
    assert.ok(pid > 0);
    assert.ok(await isAlive(pid), 'the daemon outlived the process that started it');
    const daemons = await labDaemons(name);
    assert.deepEqual(daemons.map((daemon) => [daemon.host, daemon.name, daemon.pid]), [['lab01', 'sleeper', pid]]);
    const [daemon] = daemons;
    assert.ok(daemon);
    await waitFor('the daemon\'s first line', async () => (await readFile(daemon.log, 'utf8')).includes('up on'));
    // Its own hostname, and a small pid: it runs in the host's UTS and PID namespaces.
    const line = (await readFile(daemon.log, 'utf8')).trim();
    const match = /^up on (\S+) as (\d+)$/.exec(line);
    assert.ok(match, line);
    assert.equal(match[1], 'lab01');
    assert.notEqual(Number(match[2]), pid, 'the daemon sees its own PID namespace');
    const status = await labStatus(name);
    assert.deepEqual(status.hosts.map((host) => host.daemons), [[{ name: 'sleeper', pid }], []]);
    await assert.rejects(labStartDaemon(name, 'lab01', 'sleeper', ['sleep', '1']), UsageError);
  });

  test('stopping the host ends its daemons; started again, the host has none', async () => {
    const daemon = await labStartDaemon(name, 'lab02', 'other', ['sleep', '1000']);
    assert.ok(await isAlive(daemon.pid));
    await labStopHost(name, 'lab02');
    await waitFor('the daemon to end with its host', async () => !(await isAlive(daemon.pid)));
    assert.deepEqual((await labDaemons(name, 'lab02')), []);
    await labStartHost(name, 'lab02');
    assert.deepEqual((await labDaemons(name, 'lab02')), []);
  });

  test('labStopDaemon ends a daemon (SIGKILL when it ignores SIGTERM) and says when there was none', async () => {
    const daemon = await labStartDaemon(name, 'lab02', 'stubborn', ['/bin/sh', '-c', "trap '' TERM; while :; do sleep 1; done"]);
    assert.equal(await labStopDaemon(name, 'lab02', 'stubborn', { graceMs: 300 }), true);
    assert.equal(await isAlive(daemon.pid), false);
    assert.equal(await labStopDaemon(name, 'lab02', 'stubborn'), false);
    assert.deepEqual((await labDaemons(name, 'lab02')), []);
  });
});
