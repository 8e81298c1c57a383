/** `natsTransport.close()` while the broker connection is still opening closes that connection too. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { brokerFor } from '../../agent/agentFixture.test-helper.js';
import type { TestBroker } from './testBroker.test-helper.js';
import { natsTransport } from './transport.js';

let broker: TestBroker;

before(async () => {
  broker = await brokerFor(['close01']);
});

after(async () => {
  await broker?.stop();
});

/** Open TCP (and TLS) sockets of this process. */
const tlsSockets = (): number => process.getActiveResourcesInfo().filter((name) => name === 'TLSWrap' || name === 'TCPSocketWrap').length;

test('close() during the connection\'s opening leaves no connection behind', async () => {
  // The broker's start probed its port with a socket of this process: wait for it to close.
  for (let turn = 0; turn < 50 && tlsSockets() > 0; turn++) await new Promise((wait) => setTimeout(wait, 20));
  const before = tlsSockets();
  assert.equal(before, 0);
  const transport = natsTransport({ servers: [broker.url], ...broker.files('alice'), operator: 'alice' });
  const connecting = transport.connect({ name: 'close01', address: 'close01' }).catch((error: unknown) => error);
  await transport.close();
  const outcome = await connecting;
  assert.ok(outcome instanceof Error, 'a connect racing close() cannot succeed: no agent runs');
  // Sockets close on the next turns of the loop; give them a few.
  for (let turn = 0; turn < 50 && tlsSockets() > before; turn++) await new Promise((wait) => setTimeout(wait, 20));
  assert.equal(tlsSockets(), before, `open sockets: ${process.getActiveResourcesInfo().join(', ')}`);
});
