import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../core/errors.js';
import { parseHostfileText, parseHostList, parsePortOption } from './adhocHosts.js';

test('-w expands a nodeset of [user@]host, addresses too', () => {
  assert.deepEqual(parseHostList('web[01-02],admin@10.0.0.[5-6]'), [
    { name: 'web01' }, { name: 'web02' }, { name: '10.0.0.5', user: 'admin' }, { name: '10.0.0.6', user: 'admin' },
  ]);
  assert.throws(() => parseHostList('web[01-'), UsageError);
  assert.throws(() => parseHostList('bob@'), /Invalid -w "bob@"/);
});

test('a host file is pssh\'s: [user@]host[:port] lines, # comments, blank lines', () => {
  assert.deepEqual(parseHostfileText('# front\nroot@10.0.0.1:2222\n  web02   # spare\n\nbob@db1\n', 'h.txt'), [
    { name: '10.0.0.1', user: 'root', port: 2222 }, { name: 'web02' }, { name: 'db1', user: 'bob' },
  ]);
  assert.throws(() => parseHostfileText('web01\nweb02 web03\n', 'h.txt'), /h\.txt:2: "web02 web03" is not/);
  assert.throws(() => parseHostfileText('web01:0\n', 'h.txt'), /h\.txt:1:/);
});

test('-p is a port', () => {
  assert.equal(parsePortOption('2222'), 2222);
  assert.throws(() => parsePortOption('70000'), /Invalid -p "70000"/);
});
