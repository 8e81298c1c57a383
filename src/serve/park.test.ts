import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { handle, type HandlerState, type Wait } from './handler.js';
import { liveState } from './liveState.js';
import { park } from './park.js';
import { Reloader } from './reloader.js';
import { editInventory, tempInventory } from './server.test-helper.js';
import { WatchSet } from './watches.js';

describe('park: a blocking query held until the next version (real reloader, no socket)', () => {
  let dir: string;
  let file: string;
  let reloader: Reloader;
  let watches: WatchSet;
  let state: HandlerState;
  before(async () => {
    ({ dir, file } = tempInventory());
    reloader = await Reloader.open({ inventory: { path: file }, watch: false });
    watches = new WatchSet();
    state = liveState(reloader, watches, { random: () => 0 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A blocking query on the current version, as the handler gives it. */
  const waitNow = (): Wait => {
    const handled = handle({ method: 'GET', url: `/v1/roles/web/count?index=${reloader.snapshot.index}&wait=5m`, headers: {} }, state);
    assert.equal(handled.kind, 'wait');
    return handled as Wait;
  };
  /** A new inventory version; the reloader here releases nobody, as if it came between `handle` and `park`. */
  const edit = async (): Promise<void> => {
    editInventory(file);
    assert.equal(await reloader.reload(), 'changed');
  };

  it('a version served after handle and before park is answered at once, not slept through', async () => {
    const wait = waitNow();
    await edit();
    const parked = park(wait, watches, state, new EventEmitter());
    // Parked, it would sit in the watch set for 5 minutes with nobody to release it.
    assert.equal(watches.size, 0);
    const answer = await parked;
    assert.equal(answer?.response.status, 200);
    assert.equal(answer?.response.headers['x-muster-index'], String(wait.index + 1));
  });

  it('on the version it saw, it parks until a release, then answers from the new snapshot', async () => {
    const wait = waitNow();
    const parked = park(wait, watches, state, new EventEmitter());
    assert.equal(watches.size, 1);
    await edit();
    watches.release();
    const answer = await parked;
    assert.equal(answer?.response.headers['x-muster-index'], String(wait.index + 1));
    assert.equal(watches.size, 0);
  });

  it('a client that hangs up gets nothing, and leaves the watch set and its close listener', async () => {
    const res = new EventEmitter();
    const parked = park(waitNow(), watches, state, res);
    assert.equal(res.listenerCount('close'), 1);
    res.emit('close');
    assert.equal(await parked, undefined);
    assert.equal(watches.size, 0);
    assert.equal(res.listenerCount('close'), 0);
  });
});
