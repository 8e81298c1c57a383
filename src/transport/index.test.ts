import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import { transportFor, transportNames } from './index.js';

describe('transportFor', () => {
  it('builds each named transport, and refuses unknown names with a usage error', async () => {
    for (const name of transportNames) assert.equal(transportFor(name).name, name);
    assert.throws(() => transportFor('telnet'), (error: unknown) =>
      error instanceof UsageError && error.message === 'Unknown transport "telnet": use ssh, openssh or local');
    const session = await transportFor('local').connect({ name: 'here', address: '127.0.0.1' });
    assert.equal((await session.exec('echo hi')).stdout.toString(), 'hi\n');
    session.close();
  });
});
