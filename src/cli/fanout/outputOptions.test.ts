import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../core/errors.js';
import { outputSettings } from './outputOptions.js';

test('outputSettings: the view, the prefix and the cap the options come to', () => {
  assert.deepEqual(outputSettings({ prefix: true, maxOutput: '1M' }), { view: 'gathered', prefix: true, maxOutputBytes: 1024 * 1024 });
  assert.deepEqual(outputSettings({ byHost: true, prefix: true }), { view: 'lines', prefix: true });
  assert.deepEqual(outputSettings({ prefix: false }), { view: 'lines', prefix: false }, '-N alone: lines without prefix');
  assert.deepEqual(outputSettings({ byHost: true, prefix: false }), { view: 'lines', prefix: false });
  assert.deepEqual(outputSettings({ stream: true, prefix: false }), { view: 'gathered', prefix: false }, '-N qualifies --stream');
  assert.deepEqual(outputSettings({ diff: true, outputDir: 'out' }), { view: 'diff', prefix: true, outputDir: 'out' });
  assert.deepEqual(outputSettings({ json: true, stream: true }), { view: 'gathered', prefix: true }, '--json --stream is one view');
  assert.deepEqual(outputSettings({}), { view: 'gathered', prefix: true }, 'a command without the options');
});

test('outputSettings: two views, or a bad size, are a UsageError naming the flags', () => {
  const cases: [Parameters<typeof outputSettings>[0], RegExp][] = [
    [{ byHost: true, stream: true }, /-L and --stream/],
    [{ diff: true, json: true }, /--json and --diff/],
    [{ diff: true, byHost: true }, /--diff and -L/],
    [{ prefix: false, json: true }, /--json and -N/],
    [{ prefix: false, diff: true }, /--diff and -N/],
    [{ maxOutput: '10X' }, /Invalid --max-output "10X"/],
    [{ maxOutput: '2G' }, /at most 1G/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => outputSettings(options), (error: unknown) => error instanceof UsageError && message.test(error.message), JSON.stringify(options));
  }
});
