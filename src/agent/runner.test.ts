/**
 * CommandRunner.run never rejects: whatever start() throws (here the sink failing on `start`,
 * standing in for spawn or a kill throwing) becomes one log line and an outcome, not an
 * unhandled rejection that would end the daemon.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandRunner, type CommandSink } from './command.js';

test('a failure inside a command\'s start is an outcome and a log line, never a rejection', async () => {
  const lines: string[] = [];
  const sent: string[] = [];
  const sink: CommandSink = {
    control: (_reply, message) => {
      sent.push(message.t);
      if (message.t === 'start') throw new Error('sink broke');
    },
    chunk: () => undefined,
    flush: async () => undefined,
  };
  const runner = new CommandRunner('h1', sink, (line) => void lines.push(line));
  const outcome = await runner.run({ v: 1, id: 'r1', command: 'true' }, 'muster.inbox.alice.x.1');
  assert.equal(outcome.outcome, 'error failed');
  assert.ok(lines.some((line) => /command\.run: unexpected failure: sink broke/.test(line)), lines.join('\n'));
  assert.deepEqual(sent, ['start', 'error']);
  const nul = await runner.run({ v: 1, id: 'r2', command: 'a\0b' }, 'muster.inbox.alice.x.2');
  assert.equal(nul.outcome, 'error bad-request');
});
