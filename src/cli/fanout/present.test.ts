import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../run/engine.js';
import type { Outcome } from '../../run/outcome.js';
import { fanoutExitCode, presentRun } from './present.js';
import type { Writers } from './writers.js';

const outcome = (host: string, status: Outcome['status'], extra: Partial<Outcome> = {}): Outcome => ({
  host, status, exitCode: status === 'ok' ? 0 : null, stdout: '', stderr: '', durationMs: 12.4, ...extra,
});

const result = (outcomes: Outcome[], extra: Partial<RunResult> = {}): RunResult => ({ outcomes, aborted: false, interrupted: false, durationMs: 1500, ...extra });

/** Writers that keep what was written. */
function collect(): Writers & { out: string; err: string } {
  const sink = {
    out: '',
    err: '',
    stdout: { write: (text: string) => { sink.out += text; } },
    stderr: { write: (text: string) => { sink.err += text; } },
  };
  return sink;
}

const mixed = result([
  outcome('web01', 'ok', { stdout: '6.1\n' }),
  outcome('web02', 'ok', { stdout: '6.1\n' }),
  outcome('web03', 'failed', { exitCode: 2, stderr: 'nope\n' }),
  outcome('web04', 'unreachable', { message: 'connection to root@10.0.0.4 refused' }),
]);

describe('presentRun', () => {
  it('gathered: the blocks on stdout, the summary line on stderr, exit 1 when a host failed', () => {
    const io = collect();
    const presented = presentRun(mixed, { color: false, addresses: new Map([['web04', '10.0.0.4']]) }, io);
    assert.equal(io.out, [
      '---------------', 'web[01-02] (2) ok', '---------------', '6.1',
      '---------------', 'web03 (1) failed, exit 2', '---------------', 'nope',
      '---------------', 'web04 (1) unreachable: connection to root@10.0.0.4 refused', '',
    ].join('\n'));
    assert.equal(io.err, '4 hosts: 2 ok, 1 failed, 1 unreachable in 1.5s\n');
    assert.deepEqual(presented, { exitCode: 1, summary: '4 hosts: 2 ok, 1 failed, 1 unreachable in 1.5s' });
  });

  it('gathered with quiet hides the ok blocks; a command\'s render replaces the blocks but not the summary', () => {
    const quiet = collect();
    presentRun(mixed, { color: false, quiet: true }, quiet);
    assert.doesNotMatch(quiet.out, /ok/);
    assert.match(quiet.out, /^web03 \(1\) failed, exit 2$/m);
    const rendered = collect();
    presentRun(mixed, { color: true, render: (run, color) => `${run.outcomes.length} answers, color ${color}\n` }, rendered);
    assert.equal(rendered.out, '4 answers, color true\n', 'render paints as told');
    assert.equal(rendered.err, '4 hosts: 2 ok, 1 failed, 1 unreachable in 1.5s\n');
  });

  it('stream: only the headers of the blocks that are not ok, as a footer; render is not used', () => {
    const io = collect();
    presentRun(result([...mixed.outcomes, outcome('web05', 'changed')]), { color: false, stream: true, render: () => 'never\n' }, io);
    assert.equal(io.out, 'web03 (1) failed, exit 2\nweb04 (1) unreachable: connection to root@10.0.0.4 refused\n');
    assert.equal(io.err, '5 hosts: 2 ok, 1 changed, 1 failed, 1 unreachable in 1.5s\n');
  });

  it('JSON Lines: one record per host in input order, then the summary record with the exit code; nothing on stderr', () => {
    const io = collect();
    const interrupted = result([outcome('a1', 'ok', { stdout: 'x\n' }), outcome('a2', 'skipped', { message: 'not started: interrupted', durationMs: 0 })], {
      interrupted: true, stopMessage: 'interrupted',
    });
    const presented = presentRun(interrupted, { color: false, json: true, render: () => 'never\n' }, io);
    const records = io.out.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(records, [
      { type: 'host', host: 'a1', status: 'ok', exitCode: 0, stdout: 'x\n', stderr: '', durationMs: 12 },
      { type: 'host', host: 'a2', status: 'skipped', exitCode: null, stdout: '', stderr: '', durationMs: 0, message: 'not started: interrupted' },
      {
        type: 'summary', hosts: 2, ok: 1, changed: 0, failed: 0, unreachable: 0, timeout: 0, skipped: 1,
        durationMs: 1500, aborted: false, interrupted: true, stopMessage: 'interrupted', exitCode: 130,
      },
    ]);
    assert.equal(io.err, '');
    assert.deepEqual(presented, { exitCode: 130, summary: '2 hosts: 1 ok, 1 skipped in 1.5s (interrupted)' });
  });

  it('colors the gathered view only when asked', () => {
    const io = collect();
    presentRun(result([outcome('w', 'ok', { stdout: 'x' })]), { color: true }, io);
    assert.ok(io.out.includes('\u001b[32mok'));
  });
});

describe('fanoutExitCode', () => {
  it('is 130 interrupted, 3 aborted, 1 some failure, else 0', () => {
    assert.equal(fanoutExitCode(result([outcome('a', 'ok'), outcome('b', 'changed'), outcome('c', 'skipped')])), 0);
    for (const status of ['failed', 'unreachable', 'timeout'] as const) assert.equal(fanoutExitCode(result([outcome('a', 'ok'), outcome('b', status)])), 1, status);
    assert.equal(fanoutExitCode(result([outcome('a', 'failed')], { aborted: true })), 3);
    assert.equal(fanoutExitCode(result([outcome('a', 'failed')], { aborted: true, interrupted: true })), 130);
  });
});
