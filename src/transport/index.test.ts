import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { routingTransport, transportFor, transportNames } from './index.js';
import type { Transport } from './types.js';

describe('transportFor', () => {
  it('builds each named transport, and refuses unknown names with a usage error', async () => {
    const nats = { servers: ['tls://127.0.0.1:4222'], cert: 'a.crt', key: 'a.key', ca: 'ca.crt', operator: 'alice' };
    for (const name of transportNames) assert.equal(transportFor(name, { nats }).name, name);
    assert.throws(() => transportFor('nats'), /The nats transport needs the broker's servers/);
    assert.throws(() => transportFor('telnet'), (error: unknown) =>
      error instanceof UsageError && error.message === 'Unknown transport "telnet": use ssh, openssh, local or nats');
    const session = await transportFor('local').connect({ name: 'here', address: '127.0.0.1' });
    assert.equal((await session.exec('echo hi')).stdout.toString(), 'hi\n');
    session.close();
  });
});

describe('routingTransport', () => {
  it('connects each target through the transport picked for it, and closes every one it used', async () => {
    const closed: string[] = [];
    const named = (name: string): Transport => ({
      name,
      connect: (target) => Promise.resolve({ target: { ...target, address: name }, exec: () => Promise.reject(new Error('unused')), close: () => undefined }),
      close: () => { closed.push(name); return Promise.resolve(); },
    });
    const a = named('a');
    const b = named('b');
    const router = routingTransport((target) => (target.name.startsWith('a') ? a : b));
    assert.equal((await router.connect({ name: 'a1', address: 'x' })).target.address, 'a');
    assert.equal((await router.connect({ name: 'b1', address: 'x' })).target.address, 'b');
    assert.equal(router.failure(), undefined);
    await router.close?.();
    assert.deepEqual(closed.sort(), ['a', 'b']);
  });
});
