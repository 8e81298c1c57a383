import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { parse } from 'yaml';
import { select } from '../inventory/index.js';
import { exportJson, fleetDocument } from './json.js';
import { exportYaml } from './yaml.js';
import { hostileFleet } from './fixture.test-helper.js';

test('json export: hosts with their fields, and role/group/state memberships of the selection', () => {
  const { inventory, pwnDir } = hostileFleet();
  rmSync(pwnDir, { recursive: true });
  const { hosts } = select(inventory, ['web&dc=tk1,db1.example.lan']);
  const doc = JSON.parse(exportJson(inventory, hosts)) as ReturnType<typeof fleetDocument>;
  assert.deepEqual(Object.keys(doc.hosts), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan', 'db1.example.lan']);
  assert.deepEqual(doc.hosts['db1.example.lan'], {
    address: '127.0.0.21', user: 'root', port: 2222, state: 'stop', note: 'disk replaced', roles: ['db'],
    vars: { ntp: 'ntp1.example.lan', dc: 'os1', pg: { port: 5432, replicas: ['db2', 'db3'] } },
  });
  assert.deepEqual(doc.hosts['web002.example.lan'], {
    address: '127.0.0.12', user: 'root', state: 'ok', roles: ['web', 'web-front'],
    vars: { ntp: 'ntp1.example.lan', http_port: 80, vip: '127.0.0.100', dc: 'tk1' },
  });
  assert.deepEqual(doc.roles, {
    web: ['web001.example.lan', 'web002.example.lan', 'web003.example.lan'],
    db: ['db1.example.lan'],
    'web-front': ['web001.example.lan', 'web002.example.lan', 'web003.example.lan'],
    mail: [],
  });
  assert.deepEqual(doc.groups, { tokyo: ['web001.example.lan', 'web002.example.lan', 'web003.example.lan'] });
  assert.deepEqual(doc.states, { ok: ['web001.example.lan', 'web002.example.lan', 'web003.example.lan'], warn: [], stop: ['db1.example.lan'] });
});

test('yaml export: the same document as json, read back by the yaml package and by PyYAML (YAML 1.1)', () => {
  const { inventory, pwnDir } = hostileFleet();
  rmSync(pwnDir, { recursive: true });
  const expected = fleetDocument(inventory, inventory.hosts);
  const text = exportYaml(inventory, inventory.hosts);
  assert.deepEqual(parse(text), JSON.parse(JSON.stringify(expected)));
  // PyYAML reads YAML 1.1, where a bare `yes` is a boolean: the export must quote it.
  const viaPython = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: text, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(viaPython), JSON.parse(JSON.stringify(expected)));
  assert.equal((JSON.parse(viaPython) as { hosts: Record<string, { vars: Record<string, unknown> }> }).hosts['odd-1.example.lan']?.vars['weird key!'], 'yes');
});
