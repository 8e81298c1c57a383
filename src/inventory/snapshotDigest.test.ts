import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SnapshotDigester, snapshotDigest } from './snapshotDigest.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

test('a digest kept up to date through edits is the digest of the same records made afresh', () => {
  const records = new Map<string, string>();
  for (let index = 0; index < 2000; index += 1) records.set(`host.web${index}`, sha(`record ${index}`));
  records.set('meta', sha('meta')).set('role.web', sha('web'));
  const kept = new SnapshotDigester();
  for (const [key, digest] of records) kept.set(key, digest);
  assert.equal(kept.digest(), snapshotDigest(records));
  const before = kept.digest();

  // One record edited, one removed, one added: each moves the digest, and it stays the fresh one.
  for (const edit of [
    (): void => { records.set('host.web7', sha('edited')); kept.set('host.web7', sha('edited')); },
    (): void => { records.delete('host.web8'); kept.delete('host.web8'); },
    (): void => { records.set('group.new', sha('new')); kept.set('group.new', sha('new')); },
  ]) {
    const last = kept.digest();
    edit();
    assert.notEqual(kept.digest(), last);
    assert.equal(kept.digest(), snapshotDigest(records));
  }
  // Put back as they were: the first digest again (it depends on the records, not their history).
  records.set('host.web7', sha('record 7')).set('host.web8', sha('record 8')).delete('group.new');
  kept.set('host.web7', sha('record 7'));
  kept.set('host.web8', sha('record 8'));
  kept.delete('group.new');
  assert.equal(kept.digest(), before);
  assert.equal(snapshotDigest(new Map([...records].reverse())), before, 'insertion order does not count');
  kept.clear();
  assert.equal(kept.digest(), snapshotDigest(new Map()));
});

test('the digest tells a key from its value and two records from one', () => {
  const one = snapshotDigest(new Map([['host.a', sha('x')]]));
  assert.notEqual(snapshotDigest(new Map([['host.b', sha('x')]])), one);
  assert.notEqual(snapshotDigest(new Map([['host.a', sha('y')]])), one);
  assert.notEqual(snapshotDigest(new Map([['host.a', sha('x')], ['host.b', sha('x')]])), one);
  assert.match(one, /^[0-9a-f]{64}$/);
});
