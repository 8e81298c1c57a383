import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidFileError } from '../core/errors.js';
import { parseInventory } from './parse.js';
import { declaredFiles } from './managedFiles.js';
import { placeOf } from './sourcePosition.js';

const text = `profiles:
  deb12: { kernel: d-i/linux, initrd: d-i/initrd.gz, installer: { kind: preseed, template: p/deb12.cfg } }
roles:
  web:
    files:
      /etc/nginx/nginx.conf: { src: files/web/nginx.conf, mode: "0644", test: nginx -t }
      /etc/motd.old: { absent: true }
    provision: { profile: deb12, netboot: true }
hosts:
  web[01-02]:
    roles: [web]
    files: { /etc/cron.d/x: { src: files/cron/x } }
  web03:
    provision:
      interfaces:
        eth0: { mac: "52:54:00:00:00:03", ip: 10.0.0.3, dns: [10.0.0.1] }
`;

test('files, provision and profiles are kept as written, every key placed', () => {
  const inventory = parseInventory([{ path: 'muster.yaml', text }]);
  const web = inventory.roles.get('web');
  assert.deepEqual(Object.keys(web?.files?.value ?? {}), ['/etc/nginx/nginx.conf', '/etc/motd.old']);
  assert.deepEqual(web?.files && placeOf(web.files, ['/etc/motd.old', 'absent']), { file: 'muster.yaml', line: 7, col: 24 });
  assert.equal(web?.provision?.value.profile, 'deb12');
  const [one, two, three] = inventory.hosts;
  assert.equal(one?.files, two?.files, 'the hosts of a pattern share their entry\'s section');
  assert.deepEqual(three?.provision && placeOf(three.provision, ['interfaces', 'eth0', 'mac']), { file: 'muster.yaml', line: 16, col: 17 });
  assert.deepEqual(three?.provision && placeOf(three.provision, ['interfaces', 'eth0', 'dns', '0']), { file: 'muster.yaml', line: 16, col: 63 });
  assert.deepEqual(three?.provision && placeOf(three.provision, ['profile']), three?.provision?.at, 'an unwritten path: the section\'s key');
  assert.equal(inventory.profiles?.value['deb12']?.installer?.kind, 'preseed');
});

test('bad files, interfaces and profiles: each a problem at its place', () => {
  const bad = `profiles: { p: { kernel: k } }
roles:
  web: { files: { etc/motd: { src: a }, /etc/x: { src: a, absent: true }, /etc/y: { mode: 0644, src: a } } }
hosts:
  h1: { provision: { interfaces: { eth0: { mac: "52:54:00:00:00", ip: 10.0.0.300 } } } }
`;
  assert.throws(() => parseInventory([{ path: 'muster.yaml', text: bad }]), (error: unknown) => {
    assert.ok(error instanceof InvalidFileError);
    const text = error.problems.map((problem) => `${problem.at?.line}:${problem.at?.col} ${problem.message}`).join('\n');
    for (const want of [/^1:\d+ .*initrd/m, /^3:\d+ .*absolute path/m, /^3:\d+ .*"src", or "absent: true"/m, /^3:\d+ .*mode.*string/m, /^5:\d+ .*MAC/m, /^5:\d+ .*ip/m]) assert.match(text, want);
    return true;
  });
});

test('a host owns its roles\' files in order, its own replacing theirs; two roles differing is a conflict', () => {
  const inventory = parseInventory([{ path: '/repo/muster.yaml', text: `roles:
  a: { files: { /etc/x: { src: a/x }, /etc/y: { src: a/y } } }
  b: { files: { /etc/x: { src: b/x }, /etc/y: { src: a/y } } }
hosts:
  h1: { roles: [a, b], files: { /etc/y: { src: h1/y } } }
` }]);
  const host = inventory.hostsByName.get('h1');
  assert.ok(host);
  const { files, conflicts } = declaredFiles(inventory, host);
  assert.deepEqual(files.map((file) => `${file.path} ${file.spec.src} ${file.layer} ${file.at.line}`), ['/etc/x a/x role:a 2', '/etc/y h1/y host 5']);
  assert.deepEqual(conflicts.map((conflict) => `${conflict.path} ${conflict.first.at.line} ${conflict.second.at.line}`), ['/etc/x 2 3']);
});
