import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandJob } from '../../ops/run.js';
import { runOn } from '../../run/engine.js';
import { localTransport } from '../../transport/local.js';
import { cappedJob, lineBoundary } from './outputCap.js';

const targets = [{ name: 'here', address: '127.0.0.1' }];

test('lineBoundary: after the last newline; the whole when there is none', () => {
  assert.equal(lineBoundary(Buffer.from('ab\ncd\nef')), 6);
  assert.equal(lineBoundary(Buffer.from('abcdef')), 6);
  assert.equal(lineBoundary(Buffer.from('')), 0);
});

test('cappedJob: a cut never splits a line or a UTF-8 character, and the note names the cap', async () => {
  // 10-byte cap: "é\n" lines are 3 bytes each; the 4th line would start at byte 9 and be cut mid-character.
  const command = "for i in 1 2 3 4 5; do printf '\\303\\251\\n'; done; printf 'short\\n' >&2";
  const { outcomes: [capped] } = await runOn(targets, cappedJob(commandJob(command), 10), { transport: localTransport() });
  assert.equal(capped?.stdout, 'é\né\né\n');
  assert.equal(capped?.stdoutBytes, undefined, 'still valid UTF-8, so text');
  assert.equal(capped?.stderr, 'short\n');
  assert.equal(capped?.truncated, 'stdout cut at 10 bytes');
});

test('cappedJob: one line longer than the cap is kept up to the cap, cut between characters', async () => {
  const command = "printf 'ééééé'"; // 10 bytes, no newline: cut at 5 would split the third é
  const { outcomes: [capped] } = await runOn(targets, cappedJob(commandJob(command), 5), { transport: localTransport() });
  assert.equal(capped?.stdout, 'éé');
  assert.equal(capped?.truncated, 'stdout cut at 5 bytes');
});

test('cappedJob: output under the cap is untouched and not marked', async () => {
  const { outcomes: [whole] } = await runOn(targets, cappedJob(commandJob("printf 'a\\nb'"), 1024), { transport: localTransport() });
  assert.equal(whole?.stdout, 'a\nb');
  assert.equal(whole?.truncated, undefined);
});
