import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entryMatches, hashHostName, KnownHosts, knownHostName, parseKnownHosts, type KnownHostEntry } from './knownHosts.js';

let dir: string;
/** Real public keys made by ssh-keygen: `TYPE BASE64`, and the blob. */
interface Key { line: string; blob: Buffer }
let ed1: Key;
let ed2: Key;
let ec1: Key;

function keygen(type: string, name: string): Key {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return { line: `${keyType} ${base64}`, blob: Buffer.from(base64 as string, 'base64') };
}

/** A known_hosts file in the test folder with these lines. */
function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-kh-'));
  ed1 = keygen('ed25519', 'ed1');
  ed2 = keygen('ed25519', 'ed2');
  ec1 = keygen('ecdsa', 'ec1');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseKnownHosts', () => {
  it('reads plain, marked and comment lines with their line numbers; unknown markers and short lines are skipped', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.1 ${ed1.line} comment here`,
      `@revoked * ${ed2.line}`,
      `@cert-authority *.lan ${ec1.line}`,
      `@bogus web1 ${ed1.line}`,
      'garbage',
    ].join('\n');
    const entries = parseKnownHosts(text, 'kh');
    assert.deepEqual(entries.map((e) => [e.line, e.marker]), [[3, null], [4, 'revoked'], [5, 'cert-authority']]);
    assert.deepEqual(entries[0], { file: 'kh', line: 3, marker: null, hosts: 'web1,10.0.0.1', keyType: 'ssh-ed25519', key: ed1.line.split(' ')[1] });
  });
});

describe('entryMatches', () => {
  const entry = (hosts: string): KnownHostEntry => ({ file: 'kh', line: 1, marker: null, hosts, keyType: 'ssh-ed25519', key: 'x' });
  it('matches comma lists, wildcards and the [host]:port form, case-insensitively', () => {
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
  it('matches hashed entries by HMAC-SHA1 of the lowercased name', () => {
    const hashed = hashHostName('[127.0.0.5]:2222');
    assert.equal(entryMatches(entry(hashed), '[127.0.0.5]:2222'), true);
    assert.equal(entryMatches(entry(hashed), '127.0.0.5'), false);
    assert.equal(entryMatches(entry(hashHostName('web.lan')), 'WEB.Lan'), true);
  });
});

describe('KnownHosts.verify', () => {
  it('finds hosts in a file hashed by the real ssh-keygen -H, by the lowercased name', () => {
    const path = file('hashed', [`127.0.0.5 ${ed1.line}`, `[127.0.0.6]:2222 ${ec1.line}`, `web.lan ${ed2.line}`]);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', path], { stdio: 'ignore' });
    assert.doesNotMatch(readFileSync(path, 'utf8'), /127\.0\.0|web/, 'ssh-keygen -H left a plain name');
    const known = new KnownHosts();
    assert.equal(known.verify([path], '127.0.0.5', ed1.blob).status, 'known');
    assert.equal(known.verify([path], '[127.0.0.6]:2222', ec1.blob).status, 'known');
    assert.equal(known.verify([path], 'WEB.LAN', ed2.blob).status, 'known');
    assert.equal(known.verify([path], '127.0.0.7', ec1.blob).status, 'unknown');
    assert.deepEqual(known.knownTypes([path], '127.0.0.5'), ['ssh-ed25519']);
  });

  it('calls a key of a new type changed when the host has another known key, unless the key itself is known', () => {
    const path = file('types', ['# fleet', `host-a ${ed1.line}`, `host-b ${ed1.line}`, `host-b ${ec1.line}`]);
    const known = new KnownHosts();
    const changed = known.verify([path], 'host-a', ec1.blob);
    assert.deepEqual(changed.status === 'changed' && [changed.entry.line, changed.entry.keyType], [2, 'ssh-ed25519']);
    assert.equal(known.verify([path], 'host-a', ed2.blob).status, 'changed');
    assert.equal(known.verify([path], 'host-b', ec1.blob).status, 'known');
    // A key known in a later file is known, whatever the earlier one holds.
    assert.equal(known.verify([path, file('second', [`host-a ${ec1.line}`])], 'host-a', ec1.blob).status, 'known');
  });

  it('applies @revoked to the hosts of its own line only, and before any known line', () => {
    const path = file('revoked', [`host-a ${ed1.line}`, `@revoked host-a ${ed1.line}`, `host-b ${ed2.line}`, `@revoked other ${ed2.line}`]);
    const known = new KnownHosts();
    const revoked = known.verify([path], 'host-a', ed1.blob);
    assert.deepEqual(revoked.status === 'revoked' && revoked.entry.line, 2);
    assert.equal(known.verify([path], 'host-b', ed2.blob).status, 'known');
    // A revoked line is not a known key: a host with only that line is unknown for other keys.
    assert.equal(known.verify([file('revoked-only', [`@revoked host-c ${ed1.line}`])], 'host-c', ed2.blob).status, 'unknown');
  });

  it('falls back from [host]:port to the port-less name only to make a key known', () => {
    const path = file('ports', [`10.0.0.1 ${ed1.line}`, `10.0.0.2 ${ed1.line}`, `[10.0.0.3]:2222 ${ed2.line}`, `10.0.0.3 ${ed1.line}`]);
    const known = new KnownHosts();
    assert.equal(known.verify([path], '[10.0.0.1]:2222', ed1.blob, '10.0.0.1').status, 'known');
    assert.equal(known.verify([path], '[10.0.0.2]:2222', ed2.blob, '10.0.0.2').status, 'unknown');
    // A line for [host]:port, even with another key, means no fallback.
    assert.equal(known.verify([path], '[10.0.0.3]:2222', ed1.blob, '10.0.0.3').status, 'changed');
    // Without the port-less name (HostKeyAlias), no fallback at all.
    assert.equal(known.verify([path], '[10.0.0.1]:2222', ed1.blob).status, 'unknown');
  });

  it('skips lines whose key does not parse, as OpenSSH does, so they cannot make a key changed', () => {
    const [, edBase64] = ed1.line.split(' ');
    const path = file('bad', [`h ssh-rsa ${edBase64}`, 'h ssh-ed25519 AAAAgarbage', `h ssh-foo ${edBase64}`, `h ssh-ed25519 ${edBase64}!`]);
    assert.equal(new KnownHosts().verify([path], 'h', ed2.blob).status, 'unknown');
  });
});

describe('KnownHosts.accept', () => {
  it('records a new key (creating the file), finds it afterwards, also from a fresh reader, and never twice', async () => {
    const path = join(dir, 'new', 'known_hosts');
    const known = new KnownHosts();
    const stale = new KnownHosts();
    assert.equal(known.verify([path], '[127.0.0.9]:2200', ed1.blob).status, 'unknown');
    assert.equal(stale.verify([path], '[127.0.0.9]:2200', ed1.blob).status, 'unknown');
    const recorded = await known.accept([path], path, '[127.0.0.9]:2200', ed1.blob);
    assert.deepEqual(recorded.status === 'known' && recorded.entry.line, 1);
    assert.equal(known.verify([path], '[127.0.0.9]:2200', ed1.blob).status, 'known');
    // Another reader that judged the key unknown before the write sees it under the lock: no second line.
    assert.equal((await stale.accept([path], path, '[127.0.0.9]:2200', ed1.blob)).status, 'known');
    // A different key recorded meanwhile by someone else makes the key changed, not appended.
    assert.equal((await new KnownHosts().accept([path], path, '[127.0.0.9]:2200', ed2.blob)).status, 'changed');
    await new KnownHosts().accept([path], path, 'other', ec1.blob);
    assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 2);
    // And OpenSSH reads what was written.
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.9]:2200', '-f', path], { encoding: 'utf8' });
    assert.match(found, /\[127\.0\.0\.9\]:2200 ssh-ed25519/);
  });

  it('starts a new line after a last line without a newline, and numbers it right', async () => {
    const path = join(dir, 'no-newline');
    writeFileSync(path, `# one\nhost-a ${ed1.line}`);
    const recorded = await new KnownHosts().accept([path], path, 'host-b', ed2.blob);
    assert.deepEqual(recorded.status === 'known' && recorded.entry.line, 3);
    assert.equal(readFileSync(path, 'utf8'), `# one\nhost-a ${ed1.line}\nhost-b ${ed2.line}\n`);
  });

  it('writes each key once when many hosts of one process record at once', async () => {
    const path = join(dir, 'many');
    const known = new KnownHosts();
    await Promise.all(Array.from({ length: 12 }, (_, i) => known.accept([path], path, `host-${i % 4}`, ed1.blob)));
    assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 4);
  });
});
