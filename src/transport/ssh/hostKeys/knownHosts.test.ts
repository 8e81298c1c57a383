import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entryMatches, hashHostName, KnownHosts, knownHostName, parseKnownHosts } from './knownHosts.js';

let dir: string;
/** Real public keys made by ssh-keygen: [type, base64 blob]. */
let ed1: [string, string];
let ed2: [string, string];
let ec1: [string, string];

function keygen(type: string, name: string): [string, string] {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const [keyType, blob] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return [keyType as string, blob as string];
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-kh-'));
  ed1 = keygen('ed25519', 'ed1');
  ed2 = keygen('ed25519', 'ed2');
  ec1 = keygen('ecdsa', 'ec1');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseKnownHosts', () => {
  it('reads plain, marked and comment lines with their line numbers', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.1 ${ed1.join(' ')} comment here`,
      `@revoked * ${ed2.join(' ')}`,
      `@cert-authority *.lan ${ec1.join(' ')}`,
      'garbage',
    ].join('\n');
    const entries = parseKnownHosts(text, 'kh');
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0], { file: 'kh', line: 3, revoked: false, hosts: 'web1,10.0.0.1', keyType: ed1[0], key: ed1[1] });
    assert.equal(entries[1]?.revoked, true);
    assert.equal(entries[1]?.line, 4);
  });
});

describe('entryMatches', () => {
  const entry = (hosts: string) => ({ file: 'kh', line: 1, revoked: false, hosts, keyType: 'ssh-ed25519', key: 'x' });
  it('matches comma lists, wildcards and the [host]:port form', () => {
    assert.equal(entryMatches(entry('a,b,127.0.0.5'), '127.0.0.5'), true);
    assert.equal(entryMatches(entry('*.example.lan'), 'WEB1.example.lan'), true);
    assert.equal(entryMatches(entry('127.0.0.?'), '127.0.0.5'), true);
    assert.equal(entryMatches(entry('127.0.0.5'), knownHostName('127.0.0.5', 2222)), false);
    assert.equal(entryMatches(entry('[127.0.0.5]:2222'), knownHostName('127.0.0.5', 2222)), true);
    assert.equal(knownHostName('h', 22), 'h');
  });
  it('lets a matching negated pattern exclude the whole line', () => {
    assert.equal(entryMatches(entry('*.lan,!db.lan'), 'web.lan'), true);
    assert.equal(entryMatches(entry('*.lan,!db.lan'), 'db.lan'), false);
    assert.equal(entryMatches(entry('!db.lan'), 'web.lan'), false);
  });
  it('matches hashed entries by HMAC-SHA1 of the name', () => {
    const hashed = hashHostName('[127.0.0.5]:2222');
    assert.equal(entryMatches(entry(hashed), '[127.0.0.5]:2222'), true);
    assert.equal(entryMatches(entry(hashed), '127.0.0.5'), false);
  });
});

describe('KnownHosts', () => {
  it('finds hosts in a file hashed by the real ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `127.0.0.5 ${ed1.join(' ')}\n[127.0.0.6]:2222 ${ec1.join(' ')}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /127\.0\.0/, 'ssh-keygen -H left a plain name');
    const known = new KnownHosts();
    assert.equal(known.verify([file], '127.0.0.5', ed1[0], ed1[1]).status, 'known');
    assert.equal(known.verify([file], '[127.0.0.6]:2222', ec1[0], ec1[1]).status, 'known');
    assert.equal(known.verify([file], '127.0.0.6', ec1[0], ec1[1]).status, 'unknown');
    assert.deepEqual(known.knownTypes([file], '127.0.0.5'), ['ssh-ed25519']);
  });

  it('tells known, changed (with file:line), unknown and revoked apart', () => {
    const file = join(dir, 'verdicts');
    writeFileSync(file, `# fleet\nhost-a ${ed1.join(' ')}\n@revoked * ${ed2.join(' ')}\n`);
    const known = new KnownHosts();
    assert.equal(known.verify([file], 'host-a', ed1[0], ed1[1]).status, 'known');
    const changed = known.verify([file], 'host-a', ec1[0], ec1[1]);
    // Another key type than the one known is unknown, not changed (OpenSSH does the same).
    assert.deepEqual(changed, { status: 'unknown', otherTypes: ['ssh-ed25519'] });
    const third = keygen('ed25519', 'ed3');
    const verdict = known.verify([file], 'host-a', third[0], third[1]);
    assert.equal(verdict.status, 'changed');
    assert.equal(verdict.status === 'changed' && `${verdict.entry.file}:${verdict.entry.line}`, `${file}:2`);
    assert.equal(known.verify([file], 'host-b', ed2[0], ed2[1]).status, 'revoked');
    assert.equal(known.verify([file, join(dir, 'missing')], 'host-b', ed1[0], ed1[1]).status, 'unknown');
  });

  it('records a new key (creating the file) and finds it afterwards, also from a fresh reader', () => {
    const file = join(dir, 'new', 'known_hosts');
    const known = new KnownHosts();
    assert.equal(known.verify([file], '[127.0.0.9]:2200', ed1[0], ed1[1]).status, 'unknown');
    const entry = known.record(file, '[127.0.0.9]:2200', ed1[0], ed1[1]);
    assert.equal(entry.line, 1);
    assert.equal(known.verify([file], '[127.0.0.9]:2200', ed1[0], ed1[1]).status, 'known');
    // A second reader appending to the same file keeps both lines whole.
    new KnownHosts().record(file, 'other', ec1[0], ec1[1]);
    assert.equal(new KnownHosts().verify([file], 'other', ec1[0], ec1[1]).status, 'known');
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
    // And OpenSSH reads what was written.
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.9]:2200', '-f', file], { encoding: 'utf8' });
    assert.match(found, /\[127\.0\.0\.9\]:2200 ssh-ed25519/);
  });
});
