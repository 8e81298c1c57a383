import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { KILL_WAIT_MS, killGroupCommand, PgidMarkerFilter, stopProcessGroup, wrapRemoteCommand } from './processGroup.js';

function filtered(chunks: string[]): { out: string; pgid: number | undefined } {
  const out: Buffer[] = [];
  let seen: number | undefined;
  const filter = new PgidMarkerFilter((chunk) => out.push(chunk), (pgid) => { seen = pgid; });
  for (const chunk of chunks) filter.push(Buffer.from(chunk));
  filter.end();
  return { out: Buffer.concat(out).toString(), pgid: seen };
}

describe('PgidMarkerFilter', () => {
  it('strips the marker even when split across chunks, keeping output around it', () => {
    assert.deepEqual(filtered(['rc noise\n\x1emuster-pg', 'id=4242\nreal err\n']), { out: 'rc noise\nreal err\n', pgid: 4242 });
  });
  it('passes output through unchanged when no marker comes', () => {
    assert.deepEqual(filtered(['plain ', 'stderr\n']), { out: 'plain stderr\n', pgid: undefined });
  });
});

describe('wrapRemoteCommand', () => {
  it('prints the shell PID on stderr, then runs the command with its own exit code and stdout', () => {
    const result = spawnSync('sh', ['-c', wrapRemoteCommand('echo "$0 it\'s"; echo e >&2; exit 4', false)], { encoding: 'utf8' });
    assert.equal(result.status, 4);
    assert.equal(result.stdout, "sh it's\n");
    const [marker, rest] = [result.stderr.slice(0, result.stderr.indexOf('\n') + 1), result.stderr.slice(result.stderr.indexOf('\n') + 1)];
    assert.ok(marker.startsWith('\x1emuster-pgid=') && /=\d+\n$/.test(marker), JSON.stringify(marker));
    assert.equal(rest, 'e\n');
  });
  it('wraps sudo as sudo -n -- sh -c QUOTED', () => {
    assert.match(wrapRemoteCommand("echo 'x'", true), /\nsudo -n -- sh -c 'echo '\\''x'\\'''$/);
  });
});

/**
 * Starts `script` in a new session and resolves with the session id once the script has
 * printed `ready` and its leader (the shell) has exited: from then on every process it started
 * exists, and nothing else of the session is left to be counted.
 */
async function startedSession(script: string): Promise<number> {
  const leader = spawn('setsid', ['sh', '-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const ready = new Promise<void>((resolveReady) => {
    leader.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/^ready$/m.test(out)) resolveReady();
    });
  });
  await Promise.all([once(leader, 'exit'), ready]);
  // A process of the session still holds the pipe open: stop reading rather than wait for EOF.
  leader.stdout.destroy();
  return Number(/^(\d+)$/m.exec(out)?.[1]);
}

describe('killGroupCommand', () => {
  it('kills a whole process group and session, background jobs and timeout\'s own group included', { timeout: 20_000 }, async () => {
    // `timeout` puts itself and its command in a new process group, still in the session. Its
    // command says `ready` once it runs, so timeout has made its group and forked by then.
    const script = 'sleep 1000 >/dev/null 2>&1 & '
      + 'timeout 2000 sh -c \'echo ready; exec sleep 1000 >/dev/null\' 2>/dev/null & echo $$';
    const sid = await startedSession(script);
    assert.ok(sid > 1);
    // Live processes only: a killed one may stay a zombie until PID 1 reaps it, and on some
    // machines (a sandbox's own init) that takes a while; a zombie runs nothing.
    const count = (): string => execFileSync('sh', ['-c', `ps -o stat= -s ${sid} | grep -vc '^Z' || true`], { encoding: 'utf8' }).trim();
    assert.equal(count(), '3', 'sleep, timeout and its sleep run in the session');
    const groups = execFileSync('sh', ['-c', `ps -o pgid= -s ${sid} | sort -u | wc -l`], { encoding: 'utf8' }).trim();
    assert.equal(groups, '2', 'timeout runs in a process group of its own');
    execFileSync('sh', ['-c', killGroupCommand(sid, false)], { timeout: 10_000 });
    assert.equal(count(), '0');
  });
});

describe('stopProcessGroup', () => {
  it('gives up on a kill script after KILL_WAIT_MS, aborting run\'s signal, without the fallback', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let given: AbortSignal | undefined;
      let fellBack = false;
      let done = false;
      const stopping = stopProcessGroup(4242, false, (command, signal) => {
        assert.match(command, /^p=4242; /);
        given = signal;
        return new Promise(() => undefined); // a kill script that hangs
      }, () => { fellBack = true; }).then(() => { done = true; });
      // setImmediate is not mocked: it lets stopProcessGroup reach its timer, and later settle.
      const settle = (): Promise<void> => new Promise((resolveSettle) => setImmediate(resolveSettle));
      await settle();
      mock.timers.tick(KILL_WAIT_MS - 1);
      await settle();
      assert.equal(given?.aborted, false);
      assert.equal(done, false);
      mock.timers.tick(1);
      await stopping;
      assert.equal(given?.aborted, true);
      assert.equal(fellBack, false);
    } finally {
      mock.timers.reset();
    }
  });

  it('falls back when the group never became known or the script cannot run', async () => {
    let fellBack = 0;
    await stopProcessGroup(undefined, false, () => Promise.resolve(), () => { fellBack++; });
    await stopProcessGroup(Promise.resolve(4242), true, () => Promise.reject(new Error('no channel')), () => { fellBack++; });
    assert.equal(fellBack, 2);
  });
});
