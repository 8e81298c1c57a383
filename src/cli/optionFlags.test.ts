import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionError, UsageError } from '../core/errors.js';
import { ListenError } from '../serve/listenError.js';
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

test('cliMessage: any error that names options says them as flags (serve\'s port is --listen)', () => {
  const error = new ListenError('127.0.0.1', 7070, 'EADDRINUSE');
  assert.equal(error.message, 'Cannot listen on 127.0.0.1:7070: EADDRINUSE (the port is taken; use port to pick another)');
  assert.equal(cliMessage(error), 'Cannot listen on 127.0.0.1:7070: EADDRINUSE (the port is taken; use --listen to pick another)');
});
