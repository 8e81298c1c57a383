import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { killGroupCommand, PgidMarkerFilter, wrapRemoteCommand } from './remoteCommand.js';

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

describe('killGroupCommand', () => {
  it('kills a whole process group, background jobs included, and returns once it is gone', () => {
    const started = spawnSync('setsid', ['sh', '-c', 'sleep 1000 >/dev/null 2>&1 & sleep 1000 >/dev/null 2>&1 & echo $$'], { encoding: 'utf8', timeout: 5000 });
    const pgid = Number(started.stdout.trim());
    assert.ok(pgid > 1);
    const before = execFileSync('sh', ['-c', `pgrep -g ${pgid} -c || true`], { encoding: 'utf8' }).trim();
    assert.equal(before, '2');
    execFileSync('sh', ['-c', killGroupCommand(pgid, false)], { timeout: 10_000 });
    const left = execFileSync('sh', ['-c', `pgrep -g ${pgid} -c || true`], { encoding: 'utf8' }).trim();
    assert.equal(left, '0');
  });
});
