/** Deploy wording: one place says what became of the previous file, in messages and in the summary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployData, type DeployData } from '../core/deploy.js';
import type { RunResult } from '../run/engine.js';
import type { Outcome } from '../run/outcome.js';
import { deployMessage, deploySummary, withDeployMessages } from './deploy.js';
import { hostRecord } from './jsonLines.js';

const outcome = (host: string, status: Outcome['status'], extra: Partial<Outcome<DeployData>> = {}): Outcome<DeployData> =>
  ({ host, status, exitCode: status === 'failed' ? 1 : 0, stdout: '', stderr: '', durationMs: 5, ...extra });

test('deployMessage: the message with its rollback, the rollback alone, or the message as it is', () => {
  assert.equal(deployMessage({ message: 'timed out after 5.0s', data: deployData('done') }), 'timed out after 5.0s; rolled back');
  assert.equal(deployMessage({ message: 'interrupted', data: deployData('failed') }), 'interrupted; ROLLBACK FAILED');
  assert.equal(deployMessage({ data: deployData('done') }), 'rolled back');
  assert.equal(deployMessage({ message: 'unchanged' }), 'unchanged');
  assert.equal(deployMessage({}), undefined);
  // A stop's note says what no rollback word says, after the engine's message.
  assert.equal(deployMessage({ message: 'interrupted', data: deployData(undefined, '/etc/app.conf left as it was') }), 'interrupted; /etc/app.conf left as it was');
  assert.equal(deployMessage({ message: 'timed out after 1.0s', data: deployData('failed', 'cleanup did not finish') }), 'timed out after 1.0s; ROLLBACK FAILED; cleanup did not finish');
  // Data of another operation is not a rollback.
  assert.equal(deployMessage({ message: 'same as the reference', data: { kind: 'content' } }), 'same as the reference');
  assert.equal(deployMessage({ message: 'drifted', data: { kind: 'drift', rollback: 'done' } }), 'drifted', 'a `rollback` field of another kind of data');
  assert.equal(deployMessage({ message: 'untagged', data: { rollback: 'done' } }), 'untagged');
});

test('withDeployMessages: says every rollback once, keeps the data for JSON Lines', () => {
  const run: RunResult<DeployData> = {
    outcomes: [
      outcome('web01', 'changed', { message: 'changed /etc/motd' }),
      outcome('web02', 'timeout', { message: 'timed out after 5.0s', data: deployData('done') }),
    ],
    aborted: false,
    interrupted: false,
    durationMs: 10,
  };
  const said = withDeployMessages(run);
  assert.deepEqual(said.outcomes.map((o) => o.message), ['changed /etc/motd', 'timed out after 5.0s; rolled back']);
  assert.equal(run.outcomes[1]?.message, 'timed out after 5.0s', 'the run given is not changed');
  const record = hostRecord(said.outcomes[1] as Outcome);
  assert.equal(record.rollback, 'done');
  assert.equal(record.message, 'timed out after 5.0s; rolled back');
  assert.equal('rollback' in hostRecord(said.outcomes[0] as Outcome), false);
  // The JSON record says the rollback as it always did: the tag is the data's, not the record's.
  assert.equal(JSON.stringify(hostRecord(said.outcomes[1] as Outcome)),
    '{"type":"host","host":"web02","status":"timeout","exitCode":0,"stdout":"","stderr":"","durationMs":5,"message":"timed out after 5.0s; rolled back","rollback":"done"}');
  assert.equal('rollback' in hostRecord({ ...(said.outcomes[0] as Outcome), data: { kind: 'facts', rollback: 'done' } }), false);
});

test('deploySummary: hosts by what became of them, folded, labels aligned', () => {
  const outcomes = [
    outcome('web01', 'changed'), outcome('web02', 'changed'), outcome('web03', 'ok'),
    outcome('web04', 'failed', { data: deployData('done') }),
    outcome('web05', 'failed', { data: deployData('failed') }),
    outcome('web06', 'unreachable'),
    outcome('web07', 'skipped'), outcome('web08', 'skipped'),
  ];
  assert.equal(deploySummary({ outcomes }, false), [
    'changed:         web[01-02] (2)',
    'rolled back:     web04 (1)',
    'ROLLBACK FAILED: web05 (1)',
    'failed:          web06 (1)',
    'not started:     web[07-08] (2)',
    '',
  ].join('\n'));
  assert.equal(deploySummary({ outcomes: outcomes.slice(0, 2) }, true), 'would change: web[01-02] (2)\n');
  assert.equal(deploySummary({ outcomes: [outcome('web03', 'ok')] }, false), '');
});
