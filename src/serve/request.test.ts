import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest } from './request.js';
import { formatFromAccept } from './format.js';
import { parseListen } from './listen.js';
import { OptionError } from '../core/errors.js';

describe('parseRequest', () => {
  it('splits before decoding, so %2F stays inside a name', () => {
    assert.deepEqual(parseRequest('/v1/hosts/a%2Fb', undefined).segments, ['v1', 'hosts', 'a/b']);
  });
  it('takes a format suffix off the last segment and keeps the whole name as a fallback', () => {
    const parsed = parseRequest('/v1/hosts/web1.example.sh', 'application/yaml');
    assert.deepEqual(parsed.segments, ['v1', 'hosts', 'web1.example']);
    assert.equal(parsed.format, 'sh');
    assert.deepEqual(parsed.unsuffixed, ['v1', 'hosts', 'web1.example.sh']);
    assert.equal(parsed.fallbackFormat, 'yaml');
  });
  it('reads q, sel, port, all_states, format, index and wait; ignores others', () => {
    const parsed = parseRequest('/v1/select?q=web%26dc%3Dtk1&q=db&all_states&format=yaml&index=7&wait=30s&_=123', undefined);
    assert.deepEqual(parsed.query, { q: ['web&dc=tk1', 'db'], sel: [], allStates: true });
    assert.equal(parsed.format, 'yaml');
    assert.equal(parsed.index, 7);
    assert.equal(parsed.wait, '30s');
  });
  it('refuses dot segments, control characters, malformed escapes, bad indexes', () => {
    for (const url of ['/v1/%2e%2e', '/v1/./x', '/v1/a%0a', '/v1/%e0%80', '/x?index=-1', '/x?format=xml', 'v1/hosts']) {
      assert.throws(() => parseRequest(url, undefined), { name: 'RequestError' }, url);
    }
  });
});

describe('formatFromAccept', () => {
  it('picks the best of our types by q-value, JSON otherwise', () => {
    assert.equal(formatFromAccept(undefined), 'json');
    assert.equal(formatFromAccept('*/*'), 'json');
    assert.equal(formatFromAccept('text/html,application/yaml;q=0.5,application/json;q=0.9'), 'json');
    assert.equal(formatFromAccept('application/json;q=0.1, text/x-shellscript'), 'sh');
    assert.equal(formatFromAccept('application/yaml;q=0'), 'json');
  });
});

describe('parseListen', () => {
  it('reads PORT, HOST:PORT, [IPV6]:PORT and HOST', () => {
    assert.deepEqual(parseListen('8080', 7070), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('127.0.0.2:80', 7070), { host: '127.0.0.2', port: 80 });
    assert.deepEqual(parseListen('[::1]:9000', 7070), { host: '::1', port: 9000 });
    assert.deepEqual(parseListen('localhost', 7070), { host: 'localhost', port: 7070 });
  });
  it('refuses an empty host, a bad port, a bare IPv6', () => {
    for (const text of [':7070', '127.0.0.1:99999', '::1', 'host:port', '']) {
      // The library names its option; said with the CLI's flag it reads "Invalid --listen".
      assert.throws(() => parseListen(text, 7070), (error: unknown) => error instanceof OptionError && error.option === 'listen'
        && /^Invalid listen /.test(error.message) && /^Invalid --listen /.test(error.messageWith((option) => `--${option}`)), text);
    }
  });
});
