import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenFacts } from '../core/factsFlat.js';
import { gatherFacts, showValue } from './factsGather.js';
import { FactsOutputError, parseFactsOutput } from './factsScript.js';

const section = (name: string, body: string): string => `\n@@muster-facts@@ ${name}\n${body}\n`;

test('the script\'s output parses to the agent\'s fields; mounts keep their escapes until parsed', () => {
  const output = [
    section('hostname', 'web01'),
    section('kernel.release', '6.1.0-18-amd64'), section('kernel.version', '#1 SMP'), section('kernel.arch', 'x86_64'),
    section('os-release', 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm'),
    section('stat', 'cpu0 1 2 3\ncpu1 1 2 3'), section('cpuinfo', 'model name\t: AMD EPYC'),
    section('meminfo', 'MemTotal: 1000 kB\nMemFree: 200 kB\nMemAvailable: 500 kB'), section('uptime', '3600.5 100.0'),
    section('disks', '/ /dev/vda1 ext4 100 40 30 4096\n/mnt/my\\040disk /dev/vdb ext4 10 10 10 4096\n/nfs srv:/x nfs4 unresponsive\nbad line'),
    section('addresses', '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n2: eth0    inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0\\ x'),
    section('macs', 'eth0 02:00:00:00:00:01\nlo 00:00:00:00:00:00'),
    section('end', ''),
  ].join('');
  const facts = parseFactsOutput(output);
  assert.equal(facts.hostname, 'web01');
  assert.deepEqual(facts.os, { id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' });
  assert.deepEqual(facts.cpus, { count: 2, model: 'AMD EPYC' });
  assert.deepEqual(facts.memory, { total: 1024000, free: 204800, available: 512000 });
  assert.equal(facts.uptime, 3601);
  assert.deepEqual(facts.disks, [
    { mount: '/', device: '/dev/vda1', type: 'ext4', size: 409600, used: 245760, free: 122880 },
    { mount: '/mnt/my disk', device: '/dev/vdb', type: 'ext4', size: 40960, used: 0, free: 40960 },
    { mount: '/nfs', device: 'srv:/x', type: 'nfs4', unresponsive: true },
  ]);
  assert.deepEqual(facts.addresses.map((entry) => [entry.interface, entry.cidr, entry.mac]), [['eth0', '10.0.0.1/24', '02:00:00:00:00:01'], ['lo', '127.0.0.1/8', '00:00:00:00:00:00']]);
});

test('output that is cut, or not the script\'s, is refused', () => {
  assert.throws(() => parseFactsOutput(section('hostname', 'web01')), FactsOutputError);
  assert.throws(() => parseFactsOutput('Welcome to web01!\n'), FactsOutputError);
});

test('flattened: dotted keys, disks by mount, addresses as one list; gathered with equal values folded', () => {
  const flat = flattenFacts({ os: { id: 'debian' }, memory: { total: 2 * 1024 ** 3 }, disks: [{ mount: '/', size: 1024 }], addresses: [{ cidr: '10.0.0.1/24' }, { cidr: '::1/128' }], tags: ['a', 'b'], uptime: 90061 });
  assert.deepEqual(flat, { 'os.id': 'debian', 'memory.total': 2 * 1024 ** 3, 'disks./.size': 1024, addresses: ['10.0.0.1/24', '::1/128'], tags: ['a', 'b'], uptime: 90061 });
  assert.equal(showValue('memory.total', 2 * 1024 ** 3), '2.0 GiB');
  assert.equal(showValue('uptime', 90061), '1d1h');
  assert.equal(showValue('uptime', 3900), '1h05m');
  const rows = gatherFacts(new Map([
    ['web1', { 'os.id': 'debian', uptime: 60 }], ['web2', { 'os.id': 'debian', uptime: 600 }], ['web3', { 'os.id': 'ubuntu', uptime: 6000 }], ['web4', { 'os.id': 'debian', uptime: 60000 }],
  ]));
  assert.deepEqual(rows.map((row) => [row.key, row.value, row.nodeset]), [
    ['os.id', 'debian', 'web[1-2,4]'],
    ['', 'ubuntu', 'web3'],
    // More distinct numbers than rows worth showing: their range, once.
    ['uptime', '1m … 16h40m (4 values)', 'web[1-4]'],
  ]);
});
