import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HmacSha1Key } from './hmacSha1.js';

describe('HmacSha1Key', () => {
  it('agrees with node:crypto for random keys and messages of every short and long length', () => {
    for (let length = 0; length <= 80; length++) {
      for (const keyLength of [1, 20, 64, 65, 100]) {
        const key = randomBytes(keyLength);
        const message = randomBytes(length).toString('base64').slice(0, length);
        assert.equal(
          new HmacSha1Key(key).digest(message).toString('hex'),
          createHmac('sha1', key).update(message).digest('hex'),
          `key ${keyLength} bytes, message ${JSON.stringify(message)}`,
        );
      }
    }
  });
  it('matches the RFC 2202 test vector', () => {
    const digest = new HmacSha1Key(Buffer.from('Jefe')).digest('what do ya want for nothing?');
    assert.equal(digest.toString('hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  });
});
