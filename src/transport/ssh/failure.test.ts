import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectError, type ConnectFailure } from '../types.js';
import { classify } from './failure.js';

describe('classify', () => {
  const fail = (reason: ConnectFailure, message: string) => new ConnectError('h', reason, message);
  const as = (code: string | undefined, level?: string) => {
    const error: Error & { code?: string; level?: string } = new Error(`boom ${code ?? ''}`);
    if (code !== undefined) error.code = code;
    if (level !== undefined) error.level = level;
    return classify(error, 'root@h', 3000, fail);
  };
  it('maps socket and ssh2 errors to reasons with one-line messages', () => {
    assert.equal(as('ECONNREFUSED').reason, 'refused');
    assert.equal(as('ENOTFOUND').reason, 'dns');
    assert.equal(as('EAI_AGAIN').reason, 'dns');
    assert.equal(as(undefined, 'client-dns').reason, 'dns');
    assert.equal(as('ETIMEDOUT').reason, 'timeout');
    assert.equal(as(undefined, 'client-timeout').message, 'connection to root@h timed out after 3s');
    assert.equal(as('EHOSTUNREACH').reason, 'timeout');
    assert.equal(as('ECONNRESET').reason, 'closed');
    assert.equal(as(undefined, 'protocol').reason, 'other');
    assert.equal(as('14').reason, 'auth');
  });
});
