import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../core/errors.js';
import type { Inventory } from '../../inventory/types.js';
import { defaultNatsForks, fanoutSettings, type FanoutOptions } from './options.js';

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

test('fanoutSettings: --transport wins, else each host\'s muster_transport, else ssh; nats raises the default forks', () => {
  const inventory = { agents: { servers: ['tls://127.0.0.1:4222'], operators: {}, permissions: {} } } as unknown as Inventory;
  const env = { MUSTER_STATE: '/nonexistent/state', MUSTER_OPERATOR: 'alice' };
  const nats = [{ name: 'a1', address: 'a1', transport: 'nats' }, { name: 'a2', address: 'a2', transport: 'nats' }];
  const allNats = fanoutSettings({ color: false }, { targets: nats, inventory }, env);
  assert.equal(allNats.transport.name, 'nats');
  assert.equal(allNats.run.forks, defaultNatsForks);
  assert.equal(fanoutSettings({ color: false, forks: '10' }, { targets: nats, inventory }, env).run.forks, 10);
  assert.equal(fanoutSettings({ color: false, transport: 'local' }, { targets: nats, inventory }, env).transport.name, 'local', '--transport overrides the hosts');
  const mixed = fanoutSettings({ color: false }, { targets: [...nats, { name: 'b', address: 'b' }], inventory }, env);
  assert.equal(mixed.transport.name, 'routing');
  assert.equal(mixed.run.forks, 64, 'a fleet with ssh hosts keeps the ssh default');
  assert.equal(fanoutSettings({ color: false }, { targets: [{ name: 'b', address: 'b' }] }, env).transport.name, 'ssh');
  assert.throws(() => fanoutSettings({ color: false }, { targets: [{ name: 'c', address: 'c', transport: 'telnet' }] }, env),
    new UsageError('Host c: muster_transport "telnet" is not a transport: use ssh, openssh, local, nats'));
  assert.throws(() => fanoutSettings({ color: false }, { targets: nats }, env), /the inventory has no agents\.servers/);
  assert.throws(() => fanoutSettings({ color: false }, { targets: nats, inventory }, { MUSTER_STATE: '/nonexistent/state' }),
    /No operator certificate in \/nonexistent\/state\/ca\/operators: give --operator NAME/);
});
