import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentDir, brokerFor, call, operator } from './agentFixture.test-helper.js';
import { startAgent } from './daemon.js';

test('an agent the broker drops (a revocation) keeps trying; let back in, it reconnects by itself and answers again', async () => {
  const broker = await brokerFor(['re01']);
  const waiters: Array<{ pattern: RegExp; done: () => void }> = [];
  const seen = (pattern: RegExp): Promise<void> => new Promise((done) => waiters.push({ pattern, done }));
  const agent = await startAgent({
    dir: agentDir(broker, 're01'),
    handleSignals: false,
    log: (line) => {
      for (const waiter of waiters.splice(0)) {
        if (waiter.pattern.test(line)) waiter.done();
        else waiters.push(waiter);
      }
    },
  });
  const nc = await operator(broker);
  try {
    assert.equal((await call(nc, 're01', 'ping', 'get')).ok, true);
    const dropped = seen(/^disconnected from /);
    await broker.setUsers([{ name: 'alice', kind: 'operator' }]);
    await dropped;
    await assert.rejects(call(nc, 're01', 'ping', 'get'), /no responders/i);
    const back = seen(/^reconnected to /);
    await broker.setUsers([{ name: 're01', kind: 'agent' }, { name: 'alice', kind: 'operator' }]);
    await back;
    const reply = await call(nc, 're01', 'ping', 'get');
    assert.ok(reply.ok && reply.host === 're01', JSON.stringify(reply));
  } finally {
    await nc.close();
    assert.equal(await agent.stop(), 0);
    await broker.stop();
  }
});
