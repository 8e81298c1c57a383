import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { cliMessage } from '../cli/optionFlags.js';
import { exportEnv } from './env.js';
import { hostileFleet } from './fixture.test-helper.js';

test('env export: one host, flat names, values exact when sourced with set -a into a child environment', () => {
  const { inventory, pwnDir } = hostileFleet();
  try {
    const host = inventory.hostsByName.get('odd-1.example.lan');
    assert.ok(host);
    const text = exportEnv(inventory, [host]);
    assert.match(text, /^MUSTER_NAME=odd-1\.example\.lan\nMUSTER_ADDRESS=127\.0\.0\.31\nMUSTER_STATE=warn\nMUSTER_ROLES=web\nMUSTER_USER=root\n/);
    // The environment a program started after `set -a; . file` really gets.
    const file = join(pwnDir, '..', `${basename(pwnDir)}.env`);
    writeFileSync(file, text);
    const env = execFileSync('bash', ['--norc', '-c', 'set -a; . "$1"; exec env -0', 'bash', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    rmSync(file);
    const got = Object.fromEntries(env.split('\0').filter((entry) => entry.startsWith('MUSTER_')).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    assert.equal(got['MUSTER_VAR_newline'], `line1\nline2; touch ${pwnDir}/newline\n`);
    assert.equal(got['MUSTER_VAR_dollar'], `$(touch ${pwnDir}/dollar)`);
    assert.equal(got['MUSTER_VAR_quote'], "it's");
    assert.equal(got['MUSTER_VAR_list'], '["a","b c",3]');
    assert.equal(got['MUSTER_VAR_http_port'], '80');
    assert.equal(got['MUSTER_STATE'], 'warn');
    assert.equal(Object.keys(got).length, 5 + Object.keys(host.vars).length);
    assert.deepEqual(readdirSync(pwnDir), []);
  } finally {
    rmSync(pwnDir, { recursive: true, force: true });
  }
});

test('env export: zero or several hosts is a usage error naming them', () => {
  const { inventory, pwnDir } = hostileFleet();
  rmSync(pwnDir, { recursive: true });
  assert.throws(() => exportEnv(inventory, []), (error: unknown) => error instanceof UsageError && /selection is empty/.test(error.message));
  assert.throws(() => exportEnv(inventory, inventory.hosts.slice(0, 3)), (error: unknown) => error instanceof UsageError
    && error.message === 'format env exports one host, and the selection has 3: web[001-003].example.lan'
    && cliMessage(error) === '--format env exports one host, and the selection has 3: web[001-003].example.lan');
});

test('env export: --prefix applies', () => {
  const { inventory, pwnDir } = hostileFleet();
  rmSync(pwnDir, { recursive: true });
  const host = inventory.hostsByName.get('db1.example.lan');
  assert.ok(host);
  assert.equal(exportEnv(inventory, [host], { prefix: 'APP' }), [
    'APP_NAME=db1.example.lan', 'APP_ADDRESS=127.0.0.21', 'APP_STATE=stop', 'APP_ROLES=db', 'APP_USER=root', 'APP_PORT=2222',
    "APP_NOTE='disk replaced'", 'APP_VAR_ntp=ntp1.example.lan', 'APP_VAR_dc=os1', `APP_VAR_pg='{"port":5432,"replicas":["db2","db3"]}'`, '',
  ].join('\n'));
});
