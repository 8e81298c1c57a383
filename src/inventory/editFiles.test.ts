import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addFileEntries, type FileEntryEdit } from './editFiles.js';
import { declaredFiles } from './managedFiles.js';
import { parseInventory } from './parse.js';

const text = `# the fleet
version: 1
roles:
  web: {}   # front ends
  db:
    vars: { port: 5432 }  # keep me
    files:
      /etc/motd: { src: files/db/motd }
hosts:
  # the web tier
  web[01-04]:
    address: 192.0.2.[1-4]
    roles: [web]
  db01: { roles: [db] }
`;

const spec = (src: string) => ({ src, mode: '0644', owner: 'root:root' });

function edit(edits: FileEntryEdit[], source = text): string {
  const result = addFileEntries([{ path: 'muster.yaml', text: source }], edits);
  return result.texts.get('muster.yaml') ?? source;
}

describe('addFileEntries', () => {
  test('an empty role gets a block files: map, every comment and other line kept', () => {
    const out = edit([{ owner: { role: 'web' }, path: '/etc/nginx/nginx.conf', spec: spec('files/web/etc/nginx/nginx.conf') }]);
    assert.match(out, /^ {2}web: {3}# front ends\n {4}files:\n {6}\/etc\/nginx\/nginx\.conf: \{ src: files\/web\/etc\/nginx\/nginx\.conf, mode: "0644", owner: "root:root" \}\n {2}db:\n/m);
    assert.equal(out.replace(/\n {4}files:\n {6}\/etc\/nginx.*\}/, ''), text.replace('web: {}   #', 'web:   #'));
    const inventory = parseInventory([{ path: 'muster.yaml', text: out }]);
    const files = declaredFiles(inventory, inventory.hostsByName.get('web03')!).files;
    assert.deepEqual(files.map((file) => [file.path, file.spec.src, file.spec.mode, file.layer]), [['/etc/nginx/nginx.conf', 'files/web/etc/nginx/nginx.conf', '0644', 'role:web']]);
  });

  test('a role with files: gets one more entry; the same edit again changes nothing', () => {
    const once = edit([{ owner: { role: 'db' }, path: '/etc/pg.conf', spec: spec('files/db/etc/pg.conf') }]);
    assert.match(once, / {6}\/etc\/motd: \{ src: files\/db\/motd \}\n {6}\/etc\/pg\.conf: \{ src: files\/db\/etc\/pg\.conf, mode: "0644", owner: "root:root" \}\n/);
    assert.match(once, /vars: \{ port: 5432 \} {2}# keep me/);
    const result = addFileEntries([{ path: 'muster.yaml', text: once }], [{ owner: { role: 'db' }, path: '/etc/pg.conf', spec: spec('files/db/etc/pg.conf') }]);
    assert.equal(result.texts.size, 0);
  });

  test('an entry for a path already there is replaced, not repeated', () => {
    const out = edit([{ owner: { role: 'db' }, path: '/etc/motd', spec: { src: 'files/db/etc/motd', mode: '0644', owner: 'root:root', then: 'true' } }]);
    assert.equal(out.match(/\/etc\/motd:/g)?.length, 1);
    assert.match(out, /\/etc\/motd: \{ src: files\/db\/etc\/motd, mode: "0644", owner: "root:root", then: "true" \}/);
  });

  test('a host of a pattern is split out of it, in order, and only it gets the override', () => {
    const out = edit([
      { owner: { host: 'web02' }, path: '/etc/nginx/nginx.conf', spec: spec('files/host/web02/etc/nginx/nginx.conf') },
      { owner: { host: 'web03' }, path: '/etc/nginx/nginx.conf', spec: spec('files/host/web03/etc/nginx/nginx.conf') },
    ]);
    assert.match(out, / {2}# the web tier\n {2}web\[01,04\]:\n/);
    assert.ok(out.indexOf('  web02:') < out.indexOf('  web03:'));
    const inventory = parseInventory([{ path: 'muster.yaml', text: out }]);
    assert.equal(inventory.hostsByName.get('web03')?.address, '192.0.2.3');
    const srcOf = (name: string) => declaredFiles(inventory, inventory.hostsByName.get(name)!).files.map((file) => file.spec.src);
    assert.deepEqual(srcOf('web02'), ['files/host/web02/etc/nginx/nginx.conf']);
    assert.deepEqual(srcOf('web03'), ['files/host/web03/etc/nginx/nginx.conf']);
    assert.deepEqual(srcOf('web01'), []);
  });

  test('a flow host entry gets files: in flow style; odd paths are quoted', () => {
    const out = edit([{ owner: { host: 'db01' }, path: '/etc/a b.conf', spec: spec('files/host/db01/etc/a b.conf') }]);
    assert.match(out, /db01: \{ roles: \[db\], files: \{ "\/etc\/a b\.conf": \{ src: files\/host\/db01\/etc\/a b\.conf, mode: "0644", owner: "root:root" \} \} \}/);
    const inventory = parseInventory([{ path: 'muster.yaml', text: out }]);
    assert.equal(inventory.hostsByName.get('db01')?.files?.value['/etc/a b.conf']?.src, 'files/host/db01/etc/a b.conf');
  });

  test('an entry with no spec is removed; the last one leaves files: {}', () => {
    const added = edit([{ owner: { host: 'web02' }, path: '/etc/a', spec: spec('files/host/web02/etc/a') }, { owner: { host: 'web02' }, path: '/etc/b', spec: spec('files/host/web02/etc/b') }]);
    const one = edit([{ owner: { host: 'web02' }, path: '/etc/a', spec: undefined }], added);
    assert.doesNotMatch(one, /\/etc\/a:/);
    assert.match(one, /^ {4}files:\n {6}\/etc\/b: \{ src: files\/host\/web02\/etc\/b/m);
    const none = edit([{ owner: { host: 'web02' }, path: '/etc/b', spec: undefined }], one);
    assert.match(none, /^ {2}web02:\n {4}address: 192\.0\.2\.2\n {4}roles: \[web\]\n {4}files: \{\}\n/m);
    assert.equal(parseInventory([{ path: 'muster.yaml', text: none }]).hostsByName.get('web02')?.files?.value['/etc/b'], undefined);
  });

  test('refuses an anchored map, and a role that is not there, with one clear line', () => {
    const anchored = 'version: 1\nroles:\n  web: &base\n    vars: { a: 1 }\n  api: *base\nhosts:\n  h1: { roles: [web] }\n';
    assert.throws(() => edit([{ owner: { role: 'web' }, path: '/etc/x', spec: spec('files/web/etc/x') }], anchored), /^MusterError: Cannot edit the map at muster\.yaml:3: it is anchored \(&base\)/);
    assert.throws(() => edit([{ owner: { role: 'cache' }, path: '/etc/x', spec: spec('x') }]), /No role "cache" under roles:/);
  });
});
