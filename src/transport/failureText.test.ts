import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failureFromText } from './failureText.js';

describe('failureFromText', () => {
  it('maps ssh error lines to reasons', () => {
    assert.equal(failureFromText('ssh: connect to host 127.0.0.5 port 22: Connection refused'), 'refused');
    assert.equal(failureFromText('ssh: connect to host 10.0.0.1 port 22: Connection timed out'), 'timeout');
    assert.equal(failureFromText('ssh: Could not resolve hostname nope: Name or service not known'), 'dns');
    assert.equal(failureFromText('No ED25519 host key is known for x and you have requested strict checking.\nHost key verification failed.'), 'hostkey');
    assert.equal(failureFromText('root@127.0.0.5: Permission denied (publickey).'), 'auth');
    assert.equal(failureFromText('kex_exchange_identification: Connection closed by remote host'), 'closed');
    assert.equal(failureFromText('something else'), 'other');
  });
});
