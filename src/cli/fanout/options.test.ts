import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../core/errors.js';
import { fanoutSettings, type FanoutOptions } from './options.js';

const options = (extra: Partial<FanoutOptions> = {}): FanoutOptions => ({ forks: '64', transport: 'local', color: false, ...extra });

test('fanoutSettings: the transport by name, and the engine options that were given', () => {
  assert.deepEqual(fanoutSettings(options()).run, { forks: 64 });
  const settings = fanoutSettings(options({ forks: '8', batch: '1,25%', maxFail: '0', timeout: '2s', connectTimeout: '1s', acceptNew: true }));
  assert.equal(settings.transport.name, 'local');
  assert.deepEqual(settings.run, { forks: 8, batch: '1,25%', maxFail: '0', timeoutMs: 2000 });
  assert.equal(fanoutSettings(options({ transport: 'openssh', connectTimeout: '3s' })).transport.name, 'openssh');
});

test('fanoutSettings: a bad count or duration names its flag', () => {
  assert.throws(() => fanoutSettings(options({ forks: '0' })), new UsageError('Invalid --forks "0": give a whole number of at least 1'));
  assert.throws(() => fanoutSettings(options({ forks: 'many' })), /Invalid --forks "many"/);
  assert.throws(() => fanoutSettings(options({ timeout: '0s' })), new UsageError('Invalid --timeout "0s": must be more than 0'));
  assert.throws(() => fanoutSettings(options({ connectTimeout: '0' })), /Invalid --connect-timeout "0": must be more than 0/);
});
