/** Adding a host to the YAML (`muster admit`): one line, every other byte kept, refusals in one line. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addHost } from './addHost.js';
import { loadInventory } from './load.js';

let dir: string;
let file: string;
const original = [
  'version: 1',
  'states: [ok, warn, stop]',
  'roles:',
  '  web: { vars: { port: 80 } }   # the front',
  '  db: {}',
  'hosts:',
  '  # the first web server',
  '  web01: { roles: [web], address: 127.0.0.11 }',
  '  db01:',
  '    roles: [db]',
  '',
  '# trailing comment',
  '',
].join('\n');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'muster-addhost-'));
  file = join(dir, 'muster.yaml');
});
after(() => rm(dir, { recursive: true, force: true }));

test('adds the host after the last one, keeping comments and layout, resolved as asked', async () => {
  await writeFile(file, original);
  const added = await addHost({ path: file }, { name: 'web05.dc1', address: '127.0.0.15', roles: ['web'], state: 'warn' });
  const text = await readFile(file, 'utf8');
  assert.equal(text, original.replace('    roles: [db]\n', '    roles: [db]\n  web05.dc1: { roles: [web], address: 127.0.0.15, state: warn }\n'));
  assert.deepEqual([added.host.name, added.host.address, added.host.state, added.host.vars], ['web05.dc1', '127.0.0.15', 'warn', { port: 80 }]);
  const reloaded = await loadInventory({ path: file });
  assert.deepEqual(reloaded.hosts.map((host) => host.name), ['web01', 'db01', 'web05.dc1']);
});

test('refuses a name already there, an undeclared role or state, and writes nothing', async () => {
  await writeFile(file, original);
  await assert.rejects(addHost({ path: file }, { name: 'web01', address: '127.0.0.9', roles: ['web'] }), /^UsageError: web01 is in the inventory already$/);
  await assert.rejects(addHost({ path: file }, { name: 'x1', address: '127.0.0.9', roles: ['cache'] }), /No role "cache" in the inventory \(roles: web, db\)/);
  await assert.rejects(addHost({ path: file }, { name: 'x1', address: '127.0.0.9', roles: ['web'], state: 'broken' }), /No state "broken"/);
  assert.equal(await readFile(file, 'utf8'), original);
});

test('refuses a host a pattern of the file would change rather than write it', async () => {
  const patterned = original.replace('  db01:\n    roles: [db]\n', '  db[01-02]:\n    roles: [db]\n  web[05-06]: { roles: [db] }\n');
  await writeFile(file, patterned);
  await assert.rejects(addHost({ path: file }, { name: 'web05', address: '127.0.0.15', roles: ['web'] }), /web05|add it by hand/);
  assert.equal(await readFile(file, 'utf8'), patterned);
});
