import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory } from '../inventory/parse.js';
import { parseLiveFiles } from './adoptRead.js';
import { adoptRole, checkAdoptPath, repoSrc } from './adoptPlan.js';

const inventory = parseInventory([{ path: 'muster.yaml', text: `version: 1
roles: { web: {}, db: {}, base: {} }
hosts:
  web01: { roles: [base, web] }
  web02: { roles: [base, web] }
  db01: { roles: [base, db] }
  lone: {}
` }]);
const hosts = (...names: string[]) => names.map((name) => inventory.hostsByName.get(name)!);

describe('adopt planning', () => {
  test('the role: given and held by every host, else the only one they share, else a clear question', () => {
    assert.equal(adoptRole(inventory, hosts('web01', 'db01'), undefined), 'base');
    assert.equal(adoptRole(inventory, hosts('web01', 'web02'), 'web'), 'web');
    assert.throws(() => adoptRole(inventory, hosts('web01', 'web02'), undefined), /^UsageError: The selected hosts share the roles base, web: say which with --role ROLE \(or --host\)$/);
    assert.throws(() => adoptRole(inventory, hosts('web01', 'lone'), undefined), /share no role: say where the files go with --role ROLE or --host/);
    assert.throws(() => adoptRole(inventory, hosts('web01', 'db01'), 'web'), /^UsageError: db01 is not in role "web": a role's file would not reach it/);
    assert.throws(() => adoptRole(inventory, hosts('web01'), 'cache'), /^UsageError: Unknown role "cache" \(roles: web, db, base\)$/);
  });

  test('paths: absolute and normal; the repository place of a role and a host copy', () => {
    for (const bad of ['etc/x', '/etc/../x', '/etc/', '/', '/etc//x']) assert.throws(() => checkAdoptPath(bad), /Invalid path/);
    checkAdoptPath('/etc/nginx/nginx.conf');
    assert.equal(repoSrc('/etc/nginx/nginx.conf', { role: 'web' }), 'files/web/etc/nginx/nginx.conf');
    assert.equal(repoSrc('/etc/x', { host: 'web01.example.lan' }), 'files/host/web01.example.lan/etc/x');
  });

  test('the remote answer is read back path by path; anything else is refused', () => {
    const files = parseLiveFiles(`file 600 root:adm\n${Buffer.from('s3cret\n').toString('base64')}\nmissing\nother a directory (adopt takes files)\nfile 644 a:b\n\n`, ['/a', '/b', '/c', '/d']);
    assert.deepEqual([...files!.entries()].map(([path, file]) => [path, file.kind, file.kind === 'file' ? [file.mode, file.owner, file.content.toString()] : file.kind === 'other' ? file.what : '']), [
      ['/a', 'file', ['0600', 'root:adm', 's3cret\n']],
      ['/b', 'missing', ''],
      ['/c', 'other', 'a directory (adopt takes files)'],
      ['/d', 'file', ['0644', 'a:b', '']],
    ]);
    assert.equal(parseLiveFiles('missing\n', ['/a', '/b']), undefined);
    assert.equal(parseLiveFiles('file 644 a:b\nnot base64!\n', ['/a']), undefined);
  });
});
