import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { factsModule, guardedStatfs } from './facts.js';
import { serviceModule } from './service.js';
import { ModuleError } from '../module.js';

const context = { host: 'h1', signal: new AbortController().signal, log: () => undefined };

test('facts: os, kernel, cpus, memory, disks, addresses, uptime, hostname', async () => {
  interface Disk { mount: string; type: string; size: number; free: number }
  interface Facts {
    hostname: string;
    os: { id: string | null };
    kernel: { release: string };
    cpus: { count: number };
    memory: { total: number; free: number };
    uptime: number;
    addresses: unknown[];
    disks: Disk[];
  }
  const facts = await factsModule.actions.get({}, context) as Facts;
  assert.equal(facts.hostname, hostname());
  assert.equal(typeof facts.os.id, 'string');
  assert.match(facts.kernel.release, /^\d+\.\d+/);
  assert.ok(facts.cpus.count >= 1);
  assert.ok(facts.memory.total > facts.memory.free && facts.memory.free > 0);
  assert.ok(facts.uptime > 0);
  assert.ok(Array.isArray(facts.addresses));
  assert.ok(facts.disks.length >= 1, JSON.stringify(facts.disks));
  for (const disk of facts.disks) {
    assert.ok(disk.size >= disk.free && disk.size > 0, JSON.stringify(disk));
    assert.notEqual(disk.type, 'proc');
    assert.notEqual(disk.type, 'tmpfs');
  }
  assert.doesNotThrow(() => JSON.stringify(facts));
});

test('service: a host without systemd answers unsupported, and a bad name is refused first', async (t) => {
  if ((await import('node:fs')).existsSync('/run/systemd/system')) return t.skip('this machine runs systemd');
  await assert.rejects(serviceModule.actions.status({ name: 'ssh.service' }, context), (error: unknown) =>
    error instanceof ModuleError && error.code === 'unsupported' && /h1 does not run systemd/.test(error.message));
  await assert.rejects(serviceModule.actions.restart({ name: '--force' }, context), (error: unknown) =>
    error instanceof ModuleError && error.code === 'bad-request' && /name: /.test(error.message));
});

test('a mount whose statfs hangs is unresponsive, and not asked again until that call settles', async () => {
  let calls = 0;
  let release: () => void = () => undefined;
  const hung = (): Promise<number> => {
    calls += 1;
    return new Promise<number>((done) => { release = () => done(1); });
  };
  assert.equal(await guardedStatfs('/mnt/hung', hung, 50), 'unresponsive');
  // The first call still holds its (libuv) thread: a second is not made.
  assert.equal(await guardedStatfs('/mnt/hung', hung, 50), 'unresponsive');
  assert.equal(calls, 1);
  release();
  await new Promise((wait) => setImmediate(wait));
  assert.equal(await guardedStatfs('/mnt/hung', async () => 7, 50), 7);
});
