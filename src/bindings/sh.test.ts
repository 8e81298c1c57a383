import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MusterError, UsageError } from '../core/errors.js';
import { parseInventory, select } from '../inventory/index.js';
import { exportSh, shAssignments } from './sh.js';
import { hostileFleet } from './fixture.test-helper.js';

/** Sources `text` in a real shell and returns the value of each named variable, exactly (NUL-separated transfer). */
function sourced(shell: 'bash' | 'dash', text: string, names: string[], how: 'source' | 'eval' = 'source'): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'muster-sh-'));
  try {
    const file = join(dir, 'fleet.sh');
    writeFileSync(file, text);
    const load = how === 'source' ? '. "$1"' : 'eval "$(cat "$1")"';
    // `set -u` so a missing variable fails instead of reading as empty.
    const script = `set -eu; ${load}; shift; for n in "$@"; do eval "printf '%s\\\\0' \\"\\$$n\\""; done`;
    const out = execFileSync(shell, ['-c', script, 'sh', file, ...names], { encoding: 'utf8', cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const values = out.split('\0').slice(0, -1);
    assert.equal(values.length, names.length);
    return Object.fromEntries(names.map((name, i) => [name, values[i] as string]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const odd = 'MUSTER_HOST_odd_1_example_lan';

for (const shell of ['bash', 'dash'] as const) {
  for (const how of ['source', 'eval'] as const) {
    test(`sh export: ${shell} ${how} reads hostile values back exactly and runs nothing`, () => {
      const { inventory, pwnDir } = hostileFleet();
      try {
        const text = exportSh(inventory, inventory.hosts);
        const got = sourced(shell, text, [
          `${odd}_VAR_quote`, `${odd}_VAR_dollar`, `${odd}_VAR_backtick`, `${odd}_VAR_semicolon`, `${odd}_VAR_newline`,
          `${odd}_VAR_mixed`, `${odd}_VAR_empty`, `${odd}_VAR_nothing`, `${odd}_VAR_weird_key_`, `${odd}_VAR_enabled`,
          `${odd}_VAR_list`, `${odd}_NAME`, `${odd}_ADDRESS`, `${odd}_STATE`, `${odd}_ROLES`,
          'MUSTER_HOST_db1_example_lan_VAR_pg', 'MUSTER_HOST_db1_example_lan_PORT', 'MUSTER_HOST_db1_example_lan_NOTE',
        ], how);
        assert.deepEqual(got, {
          [`${odd}_VAR_quote`]: "it's",
          [`${odd}_VAR_dollar`]: `$(touch ${pwnDir}/dollar)`,
          [`${odd}_VAR_backtick`]: `\`touch ${pwnDir}/backtick\``,
          [`${odd}_VAR_semicolon`]: `; touch ${pwnDir}/semicolon`,
          [`${odd}_VAR_newline`]: `line1\nline2; touch ${pwnDir}/newline\n`,
          [`${odd}_VAR_mixed`]: `'"$HOME\\n\`id\`'$(id)'`,
          [`${odd}_VAR_empty`]: '',
          [`${odd}_VAR_nothing`]: '',
          [`${odd}_VAR_weird_key_`]: 'yes',
          [`${odd}_VAR_enabled`]: 'true',
          [`${odd}_VAR_list`]: '["a","b c",3]',
          [`${odd}_NAME`]: 'odd-1.example.lan',
          [`${odd}_ADDRESS`]: '127.0.0.31',
          [`${odd}_STATE`]: 'warn',
          [`${odd}_ROLES`]: 'web',
          MUSTER_HOST_db1_example_lan_VAR_pg: '{"port":5432,"replicas":["db2","db3"]}',
          MUSTER_HOST_db1_example_lan_PORT: '2222',
          MUSTER_HOST_db1_example_lan_NOTE: 'disk replaced',
        });
        assert.deepEqual(readdirSync(pwnDir), [], 'nothing in the values was executed');
      } finally {
        rmSync(pwnDir, { recursive: true, force: true });
      }
    });
  }
}

test('sh export: lists per role, group and state, restricted to the selection, every declared one present', () => {
  const { inventory, pwnDir } = hostileFleet();
  rmSync(pwnDir, { recursive: true });
  const { hosts } = select(inventory, ['all']);
  const got = sourced('bash', exportSh(inventory, hosts), [
    'MUSTER_HOSTS', 'MUSTER_HOSTS_ADDRS', 'MUSTER_ROLE_web', 'MUSTER_ROLE_web_ADDRS', 'MUSTER_ROLE_web_front',
    'MUSTER_ROLE_db', 'MUSTER_ROLE_mail', 'MUSTER_GROUP_tokyo', 'MUSTER_GROUP_tokyo_ADDRS',
    'MUSTER_STATE_ok', 'MUSTER_STATE_warn', 'MUSTER_STATE_stop',
  ]);
  assert.deepEqual(got, {
    MUSTER_HOSTS: 'web001.example.lan web002.example.lan web003.example.lan odd-1.example.lan',
    MUSTER_HOSTS_ADDRS: '127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.31',
    MUSTER_ROLE_web: 'web001.example.lan web002.example.lan web003.example.lan odd-1.example.lan',
    MUSTER_ROLE_web_ADDRS: '127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.31',
    MUSTER_ROLE_web_front: 'web001.example.lan web002.example.lan web003.example.lan',
    // db1 is in a skip state, so `all` left it out: the role is declared, and empty.
    MUSTER_ROLE_db: '',
    MUSTER_ROLE_mail: '',
    MUSTER_GROUP_tokyo: 'web001.example.lan web002.example.lan web003.example.lan',
    MUSTER_GROUP_tokyo_ADDRS: '127.0.0.11 127.0.0.12 127.0.0.13',
    MUSTER_STATE_ok: 'web001.example.lan web002.example.lan web003.example.lan',
    MUSTER_STATE_warn: 'odd-1.example.lan',
    MUSTER_STATE_stop: '',
  });
  assert.doesNotMatch(exportSh(inventory, hosts), /MUSTER_HOST_db1/);
});

test('sh export: --prefix renames every variable; empty prefix drops it; a bad one is a usage error', () => {
  const inventory = parseInventory([{ path: 'm.yaml', text: 'hosts:\n  a1: { address: 127.0.0.1 }\n' }]);
  const text = exportSh(inventory, inventory.hosts, { prefix: 'DSAS' });
  assert.match(text, /^DSAS_HOSTS=a1$/m);
  assert.match(text, /^DSAS_HOST_a1_ADDRESS=127\.0\.0\.1$/m);
  assert.doesNotMatch(text, /MUSTER_/);
  assert.match(exportSh(inventory, inventory.hosts, { prefix: '' }), /^HOST_a1_STATE=ok$/m);
  for (const prefix of ['1X', 'A-B', 'a b', '$(id)']) {
    assert.throws(() => exportSh(inventory, inventory.hosts, { prefix }), UsageError);
  }
});

test('sh export: two names that become the same variable are an error naming both', () => {
  const roles = parseInventory([{ path: 'm.yaml', text: 'roles:\n  web-x: {}\n  web.x: {}\nhosts:\n  a1: { roles: [web-x] }\n' }]);
  assert.throws(() => exportSh(roles, roles.hosts), (error: unknown) => {
    assert.ok(error instanceof MusterError);
    assert.equal(error.message, 'Cannot export as sh: role "web-x" and role "web.x" both become the variable MUSTER_ROLE_web_x; rename one (names keep only letters, digits and "_")');
    return true;
  });
  const hosts = parseInventory([{ path: 'm.yaml', text: 'hosts:\n  a-1: {}\n  a.1: {}\n' }]);
  assert.throws(() => exportSh(hosts, hosts.hosts), /the name of host "a-1" and the name of host "a\.1" both become the variable MUSTER_HOST_a_1_NAME/);
  const vars = parseInventory([{ path: 'm.yaml', text: 'hosts:\n  a1: { vars: { "x y": 1, "x-y": 2 } }\n' }]);
  assert.throws(() => exportSh(vars, vars.hosts), /var "x y" of host "a1" and var "x-y" of host "a1" both become the variable MUSTER_HOST_a1_VAR_x_y/);
  // A derived name that meets another kind of name is caught the same way.
  const derived = parseInventory([{ path: 'm.yaml', text: 'roles:\n  web: {}\n  web_ADDRS: {}\n' }]);
  assert.throws(() => exportSh(derived, derived.hosts), /the addresses of role "web" and role "web_ADDRS" both become the variable MUSTER_ROLE_web_ADDRS/);
});

test('sh export: a value with a NUL character is refused, not truncated', () => {
  const inventory = parseInventory([{ path: 'm.yaml', text: 'hosts:\n  a1: { vars: { x: "a\\0b" } }\n' }]);
  assert.throws(() => exportSh(inventory, inventory.hosts), /var "x" of host "a1" contains a NUL character/);
});

test('shAssignments: one line per key, arrays of scalars joined by spaces, the rest JSON, safe to source', () => {
  const text = shAssignments({ name: 'web001', roles: ['web', 'db'], port: 22, nested: [['a']], obj: { k: "it's" }, none: null, 'odd-key': '$(id)' });
  assert.equal(text, [
    'name=web001', "roles='web db'", 'port=22', `nested='[["a"]]'`, `obj='{"k":"it'\\''s"}'`, "none=''", "odd_key='$(id)'", '',
  ].join('\n'));
  assert.deepEqual(sourced('dash', text, ['obj', 'odd_key']), { obj: '{"k":"it\'s"}', odd_key: '$(id)' });
  assert.throws(() => shAssignments({ 'a-b': 1, a_b: 2 }), /key "a-b" and key "a_b" both become the variable a_b/);
});
