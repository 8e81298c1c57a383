import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MusterError, UsageError } from '../core/errors.js';
import { cacheSlot, readCache } from './cache.js';
import { editInventory, parseEdit, parseUnset, planEdit } from './edit.js';
import { loadInventory } from './load.js';
import { parseInventory } from './parse.js';
import type { Host, Inventory } from './types.js';

const fleet = `# The Tokyo fleet.   Comments and odd spacing must survive edits.
version: 1
defaults:
    user: root      # everyone logs in as root
    vars: {ntp: ntp1.example.lan}
roles:
  web:
    description: "Apache front ends"
    vars: { http_port: 80, vip: '127.0.0.100' }
  mail: {}

hosts:
  # the front ends, 100 of them
  web[001-100].example.lan:
    roles: [web]
    address: 127.0.1.[1-100]   # in step with the names
    vars:
      dc: tk1   # Tokyo
  mail001.example.lan:
    roles:
    - mail
    state: warn
    note: >-
      disk replaced
      2026-11-01

  db1: ~     # bare host
  db2: { vars: { a: 1 } }
# trailing comment
`;

const source = { path: 'muster.yaml', text: fleet };

/** The parts of a host an edit may change, as data. */
function view(host: Host): Record<string, unknown> {
  return { address: host.address, user: host.user, port: host.port, roles: host.roles, state: host.state, note: host.note, vars: host.vars };
}

function byName(inventory: Inventory): Map<string, Record<string, unknown>> {
  return new Map(inventory.hosts.map((host) => [host.name, view(host)]));
}

test('set on one host of a pattern splits the entry; everything else in the file is kept byte for byte', () => {
  const plan = planEdit([source], ['web042.example.lan'], [parseEdit('state=stop')]);
  assert.equal(plan.texts.get('muster.yaml'), fleet.replace(`  web[001-100].example.lan:
    roles: [web]
    address: 127.0.1.[1-100]   # in step with the names
    vars:
      dc: tk1   # Tokyo
`, `  web[001-041,043-100].example.lan:
    roles: [web]
    address: 127.0.1.[1-41,43-100]   # in step with the names
    vars:
      dc: tk1   # Tokyo
  web042.example.lan:
    roles: [web]
    address: 127.0.1.42   # in step with the names
    vars:
      dc: tk1   # Tokyo
    state: stop
`));
  assert.deepEqual(plan.splits, [{ pattern: 'web[001-100].example.lan', file: 'muster.yaml', line: 14, kept: 'web[001-041,043-100].example.lan', split: 'web042.example.lan' }]);
  assert.deepEqual(plan.changes, [{ field: 'state', hosts: ['web042.example.lan'], old: 'ok', new: 'stop' }]);
});

test('pattern split: the loaded inventory equals the old one except for the edited hosts\' change', () => {
  const before = byName(parseInventory([source]));
  const picked = ['web001.example.lan', 'web042.example.lan', 'web043.example.lan', 'web100.example.lan'];
  const plan = planEdit([source], picked, [parseEdit('vars.http_port=8080')]);
  const after = byName(plan.inventory);
  assert.equal(after.size, 103);
  for (const [name, old] of before) {
    const expected = picked.includes(name) ? { ...old, vars: { ...(old['vars'] as object), http_port: 8080 } } : old;
    assert.deepEqual(after.get(name), expected, name);
  }
  assert.deepEqual(plan.splits.map((split) => [split.kept, split.split]), [['web[002-041,044-099].example.lan', 'web[001,042-043,100].example.lan']]);
  assert.match(plan.texts.get('muster.yaml') ?? '', /address: 127\.0\.1\.\[2-41,44-99\] {3}# in step/);
  assert.match(plan.texts.get('muster.yaml') ?? '', /address: 127\.0\.1\.\[1,42-43,100\] {3}# in step/);
});

test('selecting every host of a pattern edits the pattern entry in place, no split', () => {
  const names = Array.from({ length: 100 }, (_, i) => `web${String(i + 1).padStart(3, '0')}.example.lan`);
  const plan = planEdit([source], names, [parseEdit('state=warn')]);
  assert.deepEqual(plan.splits, []);
  assert.equal(plan.texts.get('muster.yaml'), fleet.replace('      dc: tk1   # Tokyo\n', '      dc: tk1   # Tokyo\n    state: warn\n'));
});

test('edits of bare, flow-style and block-scalar entries stay valid and keep their neighbours', () => {
  const plan = planEdit([source], ['db1', 'db2', 'mail001.example.lan'], [parseEdit('state=warn'), parseEdit('vars.k=a b'), parseUnset('note')]);
  const text = plan.texts.get('muster.yaml') ?? '';
  // The comment of `db1: ~` stays on the line that replaced the `~`.
  assert.match(text, /\n {2}db1:\n {4}state: warn {5}# bare host\n {4}vars:\n {6}k: a b\n/);
  assert.match(text, /\n {2}db2: \{ vars: \{ a: 1, k: a b \}, state: warn \}\n/);
  assert.match(text, /\n {2}mail001\.example\.lan:\n {4}roles:\n {4}- mail\n {4}state: warn\n {4}vars:\n {6}k: a b\n\n {2}db1:/);
  assert.ok(text.endsWith('# trailing comment\n'));
  const after = plan.inventory.hostsByName;
  assert.equal(after.get('mail001.example.lan')?.note, undefined);
  assert.equal(after.get('db2')?.vars['k'], 'a b');
});

test('var values are read as YAML; hostile strings are written so they read back exactly', () => {
  const cases: [string, unknown][] = [
    ['vars.x=8080', 8080], ['vars.x=true', true], ['vars.x=null', null], ['vars.x=', ''], ['vars.x="8080"', '8080'],
    ['vars.x=[a, 2]', ['a', 2]], ['vars.x={k: v}', { k: 'v' }], ['vars.x=a: b', 'a: b'], ['vars.x=- a', '- a'],
    ["vars.x=it's $(id) `id` ; x # y", "it's $(id) `id` ; x # y"], ['vars.x=line1\nline2', 'line1\nline2'],
    ['vars.x=8080 # port', '8080 # port'], ['vars.x= padded ', ' padded '], ['vars.x=[a, b] # c', '[a, b] # c'], ["vars.x='q'", 'q'],
    ['vars.x=\u007f\u0085\ufeff', '\u007f\u0085\ufeff'], ['vars.x=,[]{}&*!|>%@', ',[]{}&*!|>%@'], ['vars.x=0o17', 15],
  ];
  for (const [assignment, value] of cases) {
    for (const host of ['db1', 'db2', 'web042.example.lan']) {
      const plan = planEdit([source], [host], [parseEdit(assignment)]);
      assert.deepEqual(plan.inventory.hostsByName.get(host)?.vars['x'], value, `${assignment} on ${host}`);
    }
  }
  assert.deepEqual(parseEdit('note=it: is; $(x)'), { target: { field: 'note' }, value: 'it: is; $(x)' });
  assert.deepEqual(parseEdit('note='), { target: { field: 'note' } });
  assert.deepEqual(parseEdit('vars.a.b=1'), { target: { field: 'vars', key: 'a.b' }, value: 1 });
  const odd = planEdit([source], ['db1'], [parseEdit('vars.odd key: #1=1')]);
  assert.equal(odd.inventory.hostsByName.get('db1')?.vars['odd key: #1'], 1);
});

test('unset of a host var falls back to the role value; unset of the last var leaves vars: {}', () => {
  const pinned = planEdit([source], ['web042.example.lan'], [parseEdit('vars.http_port=8080')]);
  const text = pinned.texts.get('muster.yaml') ?? '';
  const back = planEdit([{ path: 'muster.yaml', text }], ['web042.example.lan'], [parseUnset('vars.http_port')]);
  assert.equal(back.inventory.hostsByName.get('web042.example.lan')?.vars['http_port'], 80);
  assert.deepEqual(back.changes, [{ field: 'vars.http_port', hosts: ['web042.example.lan'], old: 8080, new: 80 }]);
  const emptied = planEdit([source], ['db2'], [parseUnset('vars.a')]);
  assert.match(emptied.texts.get('muster.yaml') ?? '', /\n {2}db2: \{ vars: \{\} \}\n/);
  const state = planEdit([source], ['mail001.example.lan'], [parseUnset('state')]);
  assert.equal(state.inventory.hostsByName.get('mail001.example.lan')?.state, 'ok');
});

test('an edit that would make the inventory invalid is refused with the validation error', () => {
  assert.throws(() => planEdit([source], ['web042.example.lan'], [parseEdit('state=unknown')]), (error: unknown) => {
    assert.ok(error instanceof MusterError);
    assert.equal(error.message, 'Refusing the edit: unknown state "unknown" (states: ok, warn, stop); nothing was written');
    return true;
  });
  assert.throws(() => planEdit([source], ['db1'], [parseEdit('state=has space')]), /Refusing the edit: unknown state "has space"/);
  assert.throws(() => parseEdit('roles=web'), UsageError);
  assert.throws(() => parseEdit('state'), UsageError);
  assert.throws(() => parseEdit('state='), UsageError);
  assert.throws(() => planEdit([source], ['db1'], [parseEdit('state=ok'), parseEdit('state=warn')]), /state is given twice/);
  assert.throws(() => planEdit([source], ['nope'], [parseEdit('state=ok')]), /No host named "nope"/);
});

test('addresses written out of order are split in step, keeping each host\'s address', () => {
  const text = 'hosts:\n  web[1-4]:\n    address: 127.0.0.[4,1,3,2]\n';
  const before = parseInventory([{ path: 'odd.yaml', text }]);
  const plan = planEdit([{ path: 'odd.yaml', text }], ['web2'], [parseEdit('state=stop')]);
  assert.equal(plan.texts.get('odd.yaml'), 'hosts:\n  web[1,3-4]:\n    address: 127.0.0.4,127.0.0.3,127.0.0.2\n  web2:\n    address: 127.0.0.1\n    state: stop\n');
  for (const host of before.hosts) assert.equal(plan.inventory.hostsByName.get(host.name)?.address, host.address);
});

test('a pattern that cannot be split reliably is refused, naming its file:line', () => {
  const text = 'version: 1\nhosts: { "web[1-3]": { address: "127.0.0.[1-3]" } }\n';
  assert.throws(() => planEdit([{ path: 'flow.yaml', text }], ['web2'], [parseEdit('state=stop')]), (error: unknown) => error instanceof MusterError
    && error.message === 'Cannot edit web2 alone: it comes from the pattern "web[1-3]" at flow.yaml:2, which is in a flow-style "hosts: { … }" map; edit that entry by hand, or select all of its hosts');
  const whole = planEdit([{ path: 'flow.yaml', text }], ['web1', 'web2', 'web3'], [parseEdit('state=stop')]);
  assert.equal(whole.texts.get('flow.yaml'), 'version: 1\nhosts: { "web[1-3]": { address: "127.0.0.[1-3]", state: stop } }\n');
});

test('an anchored map shared by aliases is not edited through one host', () => {
  const text = 'hosts:\n  web1:\n    vars: &common { a: 1 }\n  web2:\n    vars: *common\n';
  assert.throws(() => planEdit([{ path: 'a.yaml', text }], ['web1'], [parseEdit('vars.b=2')]),
    /^MusterError: Cannot edit the map at a\.yaml:3: it is anchored \(&common\), so every alias of it would change too; edit it by hand$/);
  assert.throws(() => planEdit([{ path: 'a.yaml', text }], ['web2'], [parseEdit('vars.b=2')]), /Cannot edit "vars" at a\.yaml:5: it is not a mapping/);
  const state = planEdit([{ path: 'a.yaml', text }], ['web1'], [parseEdit('state=warn')]);
  assert.equal(state.texts.get('a.yaml'), 'hosts:\n  web1:\n    vars: &common { a: 1 }\n    state: warn\n  web2:\n    vars: *common\n');
});

function tempInventory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'muster-edit-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('editInventory writes atomically, keeping the mode; a refused edit leaves the file untouched', async () => {
  const dir = tempInventory({ 'muster.yaml': fleet });
  try {
    const file = join(dir, 'muster.yaml');
    chmodSync(file, 0o640);
    await assert.rejects(editInventory({ cwd: dir, selectors: ['web042.example.lan'], edits: [parseEdit('state=unknown')] }), /Refusing the edit/);
    assert.equal(readFileSync(file, 'utf8'), fleet);
    const result = await editInventory({ cwd: dir, selectors: ['web042.example.lan'], edits: [parseEdit('state=stop')] });
    assert.deepEqual(result.written, [file]);
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.equal(parseInventory([{ path: file, text: readFileSync(file, 'utf8') }]).hostsByName.get('web042.example.lan')?.state, 'stop');
    // The lock file stays, as flock users expect (see core/fileLock.ts); no temporary file does.
    assert.deepEqual(readdirSync(dir).sort(), ['muster.yaml', 'muster.yaml.lock'], 'no temporary file left behind');
    const dry = await editInventory({ cwd: dir, selectors: ['db1'], edits: [parseEdit('state=warn')], dryRun: true });
    assert.deepEqual(dry.written, []);
    assert.equal(dry.inventory.hostsByName.get('db1')?.state, 'warn');
    assert.doesNotMatch(readFileSync(file, 'utf8'), /db1:\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('multi-file inventory: the file where the host is defined is the one edited', async () => {
  const dir = tempInventory({
    'inventory/00-base.yaml': 'roles:\n  web: {}\n  db: {}\n',
    'inventory/10-web.yaml': 'hosts:\n  web[1-4]: { roles: [web] }\n',
    'inventory/20-db.yaml': '# databases\nhosts:\n  db1:\n    roles: [db]\n',
  });
  try {
    const before = readFileSync(join(dir, 'inventory/10-web.yaml'), 'utf8');
    const result = await editInventory({ cwd: dir, selectors: ['db'], edits: [parseEdit('note=new disk')] });
    assert.deepEqual(result.written, [join(dir, 'inventory/20-db.yaml')]);
    assert.equal(readFileSync(join(dir, 'inventory/20-db.yaml'), 'utf8'), '# databases\nhosts:\n  db1:\n    roles: [db]\n    note: new disk\n');
    assert.equal(readFileSync(join(dir, 'inventory/10-web.yaml'), 'utf8'), before);
    await editInventory({ cwd: dir, selectors: ['web3'], edits: [parseEdit('state=stop')] });
    assert.equal(readFileSync(join(dir, 'inventory/10-web.yaml'), 'utf8'), 'hosts:\n  web[1-2,4]: { roles: [web] }\n  web3: { roles: [web], state: stop }\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an edit leaves what it wrote in the parse cache, as a fresh parse of the file makes it', async () => {
  const dir = tempInventory({
    'inventory/00-base.yaml': 'roles:\n  web: { vars: { http_port: 80 } }\n',
    'inventory/10-web.yaml': 'hosts:\n  web[1-4]: { roles: [web] }\n',
  });
  const cache = { dir: join(dir, 'cache'), minBytes: 0 };
  try {
    await editInventory({ cwd: dir, env: {}, cache, selectors: ['web3'], edits: [parseEdit('vars.http_port=8080')] });
    // Written by the edit (nothing has loaded the new text yet): the next command's load is a hit.
    const files = ['inventory/00-base.yaml', 'inventory/10-web.yaml'];
    const sources = files.map((path) => ({ path, file: join(dir, path), text: readFileSync(join(dir, path), 'utf8') }));
    const cached = readCache(cacheSlot(sources, dir, cache.dir));
    assert.ok(cached, 'the edited inventory is in the cache');
    const fresh = await loadInventory({ cwd: dir, env: {} });
    assert.equal(cached.hostsByName.get('web3')?.vars['http_port'], 8080);
    assert.deepEqual(cached.files, fresh.files);
    assert.deepEqual(cached.hosts.map((host) => [host.name, host.vars, host.provenance]), fresh.hosts.map((host) => [host.name, host.vars, host.provenance]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
