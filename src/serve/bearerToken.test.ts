import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BearerToken } from './bearerToken.js';

describe('BearerToken', () => {
  it('accepts "Bearer TOKEN" (scheme in any case, spaces around the token), nothing else', () => {
    const token = new BearerToken('s3cret');
    for (const header of ['Bearer s3cret', 'bearer s3cret', 'BEARER  s3cret ']) assert.equal(token.accepts(header), true, header);
    for (const header of [undefined, '', 's3cret', 'Basic s3cret', 'Bearer s3cre', 'Bearer s3cretx', 'Bearer', 'Bearers3cret']) assert.equal(token.accepts(header), false, String(header));
  });
});
