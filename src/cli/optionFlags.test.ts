import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError, UsageError } from '../core/errors.js';
import { cliMessage, flagFor } from './optionFlags.js';

test('flagFor: kebab case of the option, with the exceptions of the table', () => {
  assert.equal(flagFor('forks'), '--forks');
  assert.equal(flagFor('maxFail'), '--max-fail');
  assert.equal(flagFor('allStates'), '--all-states');
  assert.equal(flagFor('recursive'), '-r');
});

test('cliMessage: an OptionError names flags, every other error keeps its message', () => {
  const error = new OptionError('template', (name) => `${name('template')} renders one file: it cannot be combined with ${name('recursive')}`);
  assert.equal(error.message, 'template renders one file: it cannot be combined with recursive');
  assert.equal(cliMessage(error), '--template renders one file: it cannot be combined with -r');
  assert.ok(error instanceof UsageError, 'an OptionError is a usage error (exit 2, usage hint)');
  assert.equal(cliMessage(new UsageError('plain')), 'plain');
});
