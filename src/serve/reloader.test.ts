import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import type { AccessLog } from './accessLog.js';
import { Reloader } from './reloader.js';
import { fleetText, tempInventory } from './server.test-helper.js';

/** An access log that keeps its notes. */
function notesLog(): { log: AccessLog; notes: string[] } {
  const notes: string[] = [];
  return { notes, log: { log: () => undefined, note: (message) => notes.push(message), flush: () => undefined } };
}

describe('Reloader', () => {
  it('opens at version 1; the same bytes are unchanged, new bytes a new snapshot heard by onChange', async () => {
    const { dir, file } = tempInventory();
    try {
      const heard: number[] = [];
      const reloader = await Reloader.open({ inventory: { path: file }, watch: false, onChange: (snapshot) => heard.push(snapshot.index) });
      const first = reloader.snapshot;
      assert.equal(first.index, 1);
      assert.equal(reloader.last.ok, true);
      assert.equal(await reloader.reload(), 'unchanged');
      assert.equal(reloader.snapshot, first);
      writeFileSync(file, fleetText.replace('vip: 127.0.0.100', 'vip: 127.0.0.101'));
      assert.equal(await reloader.reload(), 'changed');
      assert.equal(reloader.snapshot.index, 2);
      assert.equal(reloader.snapshot.responses.size, 0, 'a new version starts with empty caches');
      assert.deepEqual(heard, [2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs one reload at a time: calls during a reload share it and queue exactly one more, which reads the last edit', async () => {
    const { dir, file } = tempInventory();
    try {
      const reloader = await Reloader.open({ inventory: { path: file }, watch: false });
      writeFileSync(file, fleetText.replace('vip: 127.0.0.100', 'vip: 127.0.0.101'));
      const first = reloader.reload();
      writeFileSync(file, fleetText.replace('vip: 127.0.0.100', 'vip: 127.0.0.102'));
      const second = reloader.reload();
      const third = reloader.reload();
      assert.equal(second, first);
      assert.equal(third, first);
      // The outcome is the queued read's: 'unchanged' when the first read already saw the second edit.
      const outcome = await first;
      assert.ok(outcome === 'changed' || outcome === 'unchanged', outcome);
      assert.ok(reloader.snapshot.index === 2 || reloader.snapshot.index === 3, String(reloader.snapshot.index));
      assert.equal(reloader.snapshot.inventory.roles.get('web')?.vars['vip'], '127.0.0.102');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a broken edit fails once (the same bytes again say nothing new), keeps the last good snapshot, and says why with file:line', async () => {
    const { dir, file } = tempInventory();
    try {
      const { log, notes } = notesLog();
      const reloader = await Reloader.open({ inventory: { path: file }, watch: false, log });
      writeFileSync(file, fleetText.replace('roles: [db]', 'roles: [dbx]'));
      assert.equal(await reloader.reload(), 'failed');
      const failed = reloader.last;
      assert.equal(failed.ok, false);
      assert.match(failed.error ?? '', /muster\.yaml:29:\d+/);
      assert.deepEqual([failed.problems?.[0]?.file, failed.problems?.[0]?.line], [file, 29]);
      assert.equal(await reloader.reload(), 'failed');
      assert.equal(reloader.last, failed, 'the same broken bytes are not a new failure');
      assert.deepEqual(notes, ['reload failed; still serving the last good inventory']);
      assert.equal(reloader.snapshot.index, 1);
      writeFileSync(file, fleetText);
      // The bytes of version 1 again: the fix is unchanged, and the last reload is ok once more.
      assert.equal(await reloader.reload(), 'unchanged');
      assert.equal(reloader.last.ok, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to open on an invalid inventory', async () => {
    const { dir, file } = tempInventory(fleetText.replace('roles: [db]', 'roles: [dbx]'));
    try {
      await assert.rejects(Reloader.open({ inventory: { path: file }, watch: false }), { name: 'InvalidFileError' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
