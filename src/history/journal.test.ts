import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployData } from '../core/deploy.js';
import { EnvironmentError, NotFoundError } from '../core/errors.js';
import type { Outcome } from '../run/outcome.js';
import { getHistory, historyPath, journal, journalOutputCap, listHistory } from './journal.js';

function outcome(host: string, status: Outcome['status'], stdout: string, extra: Partial<Outcome> = {}): Outcome {
  return { host, status, exitCode: status === 'ok' || status === 'changed' ? 0 : 1, stdout, stderr: '', durationMs: 12, ...extra };
}

describe('history journal', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-history-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses MUSTER_STATE_DIR, else ~/.local/state/muster', () => {
    assert.equal(historyPath({ env: { MUSTER_STATE_DIR: '/var/x' } }), '/var/x/history.db');
    assert.equal(historyPath({ env: { HOME: '/home/a' }, stateDir: '/s' }), '/s/history.db');
  });

  it('lists nothing before anything was journaled, and names an unknown id', () => {
    const empty = join(dir, 'empty');
    assert.deepEqual(listHistory({ stateDir: empty }), []);
    assert.throws(() => getHistory(1, { stateDir: empty }), NotFoundError);
  });

  it('records who, when, what and every outcome, newest first; shows one run again in full', () => {
    const stateDir = join(dir, 'state');
    const big = 'x'.repeat(journalOutputCap + 10);
    const first = journal({
      command: 'run', argv: ['run', 'web', '--', 'uptime'], selector: 'web', startedAt: new Date('2026-11-23T21:00:00Z'), durationMs: 1234, exitCode: 1,
      summary: '3 hosts: 2 ok, 1 failed in 1.2s',
      outcomes: [outcome('web01', 'ok', 'up\n'), outcome('web02', 'ok', 'up\n'), outcome('web03', 'failed', big, { message: 'exit 1' })],
    }, { stateDir, env: { SUDO_USER: 'alice' } });
    const second = journal({
      command: 'push', argv: ['push', 'web', 'a', '/b', '--test', 'false'], selector: 'web', startedAt: new Date('2026-11-23T21:05:00Z'), durationMs: 50, exitCode: 1,
      outcomes: [
        outcome('web01', 'failed', '', { message: 'rolled back', data: deployData('done'), stderr: 'bad config\n' }),
        // Another command's data with a field of the same name is not a deploy's rollback.
        outcome('web02', 'ok', '', { data: { rollback: 'done' } }),
      ],
    }, { stateDir });
    assert.equal(typeof first, 'number');
    assert.equal(second, (first ?? 0) + 1);
    const list = listHistory({ stateDir });
    assert.deepEqual(list.map((run) => [run.id, run.command, run.selector, run.hosts]), [[second, 'push', 'web', 2], [first, 'run', 'web', 3]]);
    assert.deepEqual(list[1]?.counts, { ok: 2, failed: 1 });
    assert.match(list[1]?.user ?? '', /\(sudo alice\)$/);
    assert.equal(list[1]?.startedAt, '2026-11-23T21:00:00.000Z');
    const detail = getHistory(first ?? 0, { stateDir });
    assert.equal(detail.outcomes.length, 3);
    assert.equal(detail.outcomes[0]?.stdout, 'up\n');
    assert.equal(detail.outcomes[2]?.stdout.length, journalOutputCap);
    assert.match(detail.outcomes[2]?.truncated ?? '', /10 bytes cut/);
    const pushed = getHistory(second ?? 0, { stateDir });
    assert.deepEqual([pushed.outcomes[0]?.data, pushed.outcomes[0]?.message, pushed.outcomes[0]?.stderr], [deployData('done'), 'rolled back', 'bad config\n']);
    assert.equal(pushed.outcomes[1]?.data, undefined, 'only deploy data is journaled');
    assert.deepEqual(listHistory({ stateDir, command: 'run' }).map((run) => run.id), [first]);
  });

  it('keeps the journal owner-only, even in a state folder others can read', async () => {
    const stateDir = join(dir, 'shared');
    await mkdir(stateDir, { mode: 0o755 });
    await chmod(stateDir, 0o755);
    journal({ command: 'run', argv: ['run', 'all', '--', 'cat', '/etc/secret'], selector: 'all', startedAt: new Date(), durationMs: 1, exitCode: 0, outcomes: [outcome('web01', 'ok', 'hunter2\n')] }, { stateDir });
    for (const name of await readdir(stateDir)) assert.equal((await stat(join(stateDir, name))).mode & 0o077, 0, `${name} is readable by others`);
  });

  it('a state file that is not a database is an EnvironmentError naming it (reading), one warning (journaling)', async () => {
    const stateDir = join(dir, 'garbage');
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'history.db'), 'not a database, just some text that is long enough to be read as a header\n'.repeat(10));
    assert.throws(() => listHistory({ stateDir }), (error: unknown) => error instanceof EnvironmentError && error.message.includes(join(stateDir, 'history.db')));
    assert.throws(() => getHistory(1, { stateDir }), EnvironmentError);
    const warnings: string[] = [];
    assert.equal(journal({ command: 'run', argv: [], selector: 'all', startedAt: new Date(), durationMs: 1, exitCode: 0, outcomes: [] }, { stateDir, onWarning: (m) => warnings.push(m) }), undefined);
    assert.equal(warnings.length, 1);
  });

  it('never throws when the journal cannot be written: one warning instead', async () => {
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, 'a file where the state folder should be');
    await chmod(blocked, 0o400);
    const warnings: string[] = [];
    const id = journal({ command: 'run', argv: [], selector: 'all', startedAt: new Date(), durationMs: 1, exitCode: 0, outcomes: [] }, { stateDir: join(blocked, 'sub'), onWarning: (m) => warnings.push(m) });
    assert.equal(id, undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /could not record this run in the history/);
  });
});
