import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError, UsageError } from '../core/errors.js';
import { fieldLabel, parseEdit, parseUnset } from './editArgs.js';

test('assignments and unset fields parse into edits', () => {
  assert.deepEqual(parseEdit('state=stop'), { target: { field: 'state' }, value: 'stop' });
  assert.deepEqual(parseEdit('vars.port=8080'), { target: { field: 'vars', key: 'port' }, value: 8080 });
  assert.deepEqual(parseUnset('vars.port'), { target: { field: 'vars', key: 'port' } });
  assert.equal(fieldLabel(parseUnset('vars.a.b').target), 'vars.a.b');
  assert.throws(() => parseUnset('roles'), UsageError);
});

test('state= names the unset option; the CLI can call it by its flag', () => {
  assert.throws(() => parseEdit('state='), (error: unknown) => {
    assert.ok(error instanceof OptionError);
    assert.equal(error.message, 'state= needs a state (use unset state to fall back to the default state)');
    assert.equal(error.messageWith((option) => `--${option}`), 'state= needs a state (use --unset state to fall back to the default state)');
    return true;
  });
});
