import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Host } from '../inventory/types.js';
import { reconcile, sameHostName, type Observed } from './reconcile.js';

const now = new Date('2026-12-02T12:00:00Z');
const options = { skipStates: ['stop'], maxUnseenMs: 15 * 60_000, now };

function host(name: string, address: string, state = 'ok'): Host {
  return { name, address, state } as Host;
}

function facts(hostname: string, addresses: [string, string][]): Record<string, unknown> {
  return { hostname, addresses: addresses.map(([name, cidr]) => ({ interface: name, family: cidr.includes(':') ? 'inet6' : 'inet', address: cidr.split('/')[0], cidr, mac: null })) };
}

function kinds(observed: Observed[]): string[][] {
  return reconcile(observed, options).map((entry) => entry.findings.map((finding) => `${finding.kind}: ${finding.message}`));
}

test('hostname: case-insensitive; a short name matches the first label; two FQDNs must be equal', () => {
  assert.ok(sameHostName('web01', 'WEB01'));
  assert.ok(sameHostName('web01', 'web01.example.lan'));
  assert.ok(sameHostName('web01.example.lan', 'web01'));
  assert.ok(sameHostName('web01.example.lan.', 'web01.example.lan'));
  assert.ok(!sameHostName('web01.dc1', 'web01.dc2'));
  assert.ok(!sameHostName('web01', 'web02'));
});

test('address: equal to one of the host\'s (IPv6 in any spelling), or inside a loopback network', () => {
  const seen = new Date(now.getTime() - 60_000).toISOString();
  const base = { seenAt: seen };
  assert.deepEqual(kinds([
    { ...base, host: host('a', '10.0.0.1'), resolved: ['10.0.0.1'], facts: facts('a', [['eth0', '10.0.0.1/24']]) },
    { ...base, host: host('b', '2001:db8::0:1'), resolved: ['2001:db8::0:1'], facts: facts('b', [['eth0', '2001:db8::1/64']]) },
    { ...base, host: host('c', '127.42.0.7'), resolved: ['127.42.0.7'], facts: facts('c', [['lo', '127.0.0.1/8'], ['eth0', '192.0.2.2/24']]) },
    // In eth0's network is not on the host: only lo answers for a whole network.
    { ...base, host: host('d', '10.0.0.9'), resolved: ['10.0.0.9'], facts: facts('d', [['lo', '127.0.0.1/8'], ['eth0', '10.0.0.4/24']]) },
    { ...base, host: host('e', 'e.example.invalid'), resolved: undefined, facts: facts('e', [['eth0', '10.0.0.5/24']]) },
    // No addresses known (no `ip` on the host): not checked.
    { ...base, host: host('f', '10.0.0.6'), resolved: ['10.0.0.6'], facts: facts('f', []) },
  ]), [[], [], [], ['address: its address 10.0.0.9 is not on the host (it has 10.0.0.4)'], ['address: its address e.example.invalid does not resolve'], []]);
});

test('answers and unseen: a stopped host must not answer, any other must, now or within --max-unseen', () => {
  const fresh = new Date(now.getTime() - 60_000).toISOString();
  const old = new Date(now.getTime() - 3 * 3600_000).toISOString();
  const ok = (name: string, extra: Partial<Observed>): Observed => ({ host: host(name, '10.0.0.1'), resolved: ['10.0.0.1'], ...extra });
  const stop = (name: string, extra: Partial<Observed>): Observed => ({ host: host(name, '10.0.0.1', 'stop'), resolved: ['10.0.0.1'], ...extra });
  assert.deepEqual(kinds([
    ok('a', { seenAt: fresh }),
    ok('b', { seenAt: old }),
    ok('c', {}),
    ok('d', { answered: { ok: false, why: 'connection refused' } }),
    stop('e', { answered: { ok: true }, seenAt: fresh }),
    stop('f', { seenAt: fresh }),
    stop('g', { seenAt: old }),
    stop('h', { answered: { ok: false, why: 'connection refused' } }),
  ]), [
    [],
    ['unseen: state ok, but not seen for 3h00m (more than 15m)'],
    ['unseen: state ok, but its agent has published no facts'],
    ['unseen: state ok, but unreachable now: connection refused'],
    ['answers: state stop, but it answers'],
    ['answers: state stop, but it answers (seen 1m ago)'],
    [],
    [],
  ]);
});

test('a wrong address asked now reaches another host: said as such', () => {
  const [entry] = reconcile([{ host: host('lab02', '127.9.0.3'), resolved: ['127.9.0.3'], answered: { ok: true }, seenAt: now.toISOString(), facts: facts('lab03', [['lo', '127.0.0.1/8']]) }], options);
  assert.deepEqual(entry?.findings, [{ kind: 'hostname', message: 'its address 127.9.0.3 reaches a host named lab03, not lab02' }]);
});
