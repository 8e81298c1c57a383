import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelSlots } from './channelSlots.js';

describe('ChannelSlots', () => {
  it('grants up to the limit, queues the rest in order, and frees a slot once per release', async () => {
    const slots = new ChannelSlots(2);
    const first = await slots.acquire();
    const second = await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then((release) => { order.push('third'); return release; });
    const fourth = slots.acquire().then((release) => { order.push('fourth'); return release; });
    await Promise.resolve();
    assert.deepEqual(order, []);
    first();
    first(); // a second call is ignored
    const releaseThird = await third;
    assert.deepEqual(order, ['third']);
    second();
    (await fourth)();
    releaseThird();
    assert.deepEqual(order, ['third', 'fourth']);
  });

  it('drops an aborted waiter without taking a slot', async () => {
    const slots = new ChannelSlots(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    held();
    const again = await slots.acquire();
    again();
  });
});
